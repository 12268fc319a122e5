// Store: leases, their expiry, metric reports and the end of an attempt.
#include <algorithm>
#include <mutex>
#include <string>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

Status CheckTtl(std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) {
    return InvalidArgumentError("lease ttl must be positive, got " + std::to_string(ttl.count()) +
                                " ms");
  }
  return Status::Ok();
}

Status ValidateBatch(const MetricBatch& batch) {
  for (const MetricRow& row : batch.metrics) {
    if (row.name.empty()) {
      return InvalidArgumentError("metric row of epoch " + std::to_string(row.epoch) +
                                  " has no name");
    }
  }
  for (const PerClassRow& row : batch.per_class) {
    if (row.name.empty() || row.class_index < 0) {
      return InvalidArgumentError("per-class row of epoch " + std::to_string(row.epoch) +
                                  " needs a name and a class_index >= 0");
    }
  }
  for (const PayloadRow& row : batch.payloads) {
    if (row.kind.empty() || row.json.empty()) {
      return InvalidArgumentError("payload row of epoch " + std::to_string(row.epoch) +
                                  " needs a kind and JSON text");
    }
  }
  return Status::Ok();
}

// Metric rows go in with one multi-row INSERT per this many rows (fewer
// statement runs per batch; each size is prepared once and cached).
constexpr size_t kRowsPerInsert = 16;

// "<head> VALUES (?, ...), ... <tail>" for `rows` rows of `columns` values.
std::string MultiRowInsert(const char* head, int columns, size_t rows, const char* tail) {
  std::string tuple = "(";
  for (int c = 0; c < columns; ++c) tuple += c == 0 ? "?" : ", ?";
  tuple += ")";
  std::string sql = head;
  sql += " VALUES ";
  for (size_t r = 0; r < rows; ++r) {
    if (r > 0) sql += ", ";
    sql += tuple;
  }
  sql += " ";
  sql += tail;
  return sql;
}

}  // namespace

StatusOr<std::optional<Lease>> Store::LeaseNextTrial(const std::string& worker_id,
                                                     std::chrono::milliseconds ttl) {
  LTSWEEP_RETURN_IF_ERROR(CheckTtl(ttl));
  return rep_->Write<std::optional<Lease>>([&] { return rep_->LeaseNextTrialTxn(worker_id, ttl); });
}

void Store::LeaseNextTrialAsync(std::string worker_id, std::chrono::milliseconds ttl,
                                std::function<void(StatusOr<std::optional<Lease>>)> done) {
  Status valid = CheckTtl(ttl);
  if (!valid.ok()) return done(valid);
  Rep* rep = rep_.get();
  rep->WriteAsync<std::optional<Lease>>(
      [rep, worker_id = std::move(worker_id), ttl] { return rep->LeaseNextTrialTxn(worker_id, ttl); },
      std::move(done));
}

StatusOr<std::optional<Lease>> Store::Rep::LeaseNextTrialTxn(const std::string& worker_id,
                                                         std::chrono::milliseconds ttl) {
  LTSWEEP_RETURN_IF_ERROR(TouchWorker(worker_id));
  const int64_t now = Now();

  Lease lease;
  bool sweep_pending = false;
  {
    // Few sweeps are active at a time: pick the sweep first, then its trial.
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT s.id, s.max_attempts, s.status = 'pending' FROM sweeps s "
                    "WHERE s.status IN ('pending', 'running') AND EXISTS ("
                    "  SELECT 1 FROM trials t WHERE t.sweep_id = s.id AND t.status = 'queued') "
                    "ORDER BY s.priority DESC, s.id ASC LIMIT 1"));
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return std::optional<Lease>();
    }
    lease.sweep_id = stmt.Int64(0);
    lease.max_attempts = stmt.Int(1);
    sweep_pending = stmt.Int(2) != 0;
  }
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT id, attempts, config_json, config_hash FROM trials "
                    "WHERE sweep_id = ? AND status = 'queued' ORDER BY ordinal LIMIT 1"));
    stmt.Bind(lease.sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return InternalError("sweep " + std::to_string(lease.sweep_id) + " lost its queue");
    lease.trial_id = stmt.Int64(0);
    lease.attempt = stmt.Int(1) + 1;
    lease.config_json = stmt.Text(2);
    lease.config_hash = stmt.Text(3);
  }
  lease.token = tokens.Next();
  lease.deadline_ms = now + ttl.count();
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE trials SET status = 'leased', attempts = ?, lease_token = ?, "
                    "lease_deadline_ms = ?, worker_id = ?, updated_ms = ?, "
                    "started_ms = coalesce(started_ms, ?) WHERE id = ?"));
    stmt.Bind(lease.attempt, lease.token, lease.deadline_ms, worker_id, now, now, lease.trial_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("INSERT INTO attempts (trial_id, attempt, worker_id, lease_token, status, "
                    "started_ms) VALUES (?, ?, ?, ?, 'running', ?)"));
    stmt.Bind(lease.trial_id, lease.attempt, worker_id, lease.token, now);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  LTSWEEP_RETURN_IF_ERROR(AddEvent(
      "trial_leased", lease.sweep_id, lease.trial_id, worker_id, lease.attempt,
      "trial " + std::to_string(lease.trial_id) + " attempt " + std::to_string(lease.attempt) +
          " of " + std::to_string(lease.max_attempts) + " leased to " + worker_id));
  // A lease can only move a sweep from pending to running.
  if (sweep_pending) LTSWEEP_RETURN_IF_ERROR(RollUpSweep(lease.sweep_id));
  return std::optional<Lease>(std::move(lease));
}

StatusOr<int64_t> Store::RenewLease(int64_t trial_id, const std::string& token,
                                    std::chrono::milliseconds ttl) {
  LTSWEEP_RETURN_IF_ERROR(CheckTtl(ttl));
  return rep_->Write<int64_t>([&]() -> StatusOr<int64_t> {
    sqlite::Db* db = rep_->db.get();
    LTSWEEP_ASSIGN_OR_RETURN(Rep::LeaseState lease, rep_->CheckLease(trial_id, token));
    LTSWEEP_RETURN_IF_ERROR(rep_->MarkRunning(lease));
    if (!lease.worker_id.empty()) {
      Status touched = rep_->TouchWorker(lease.worker_id);
      if (!touched.ok() && touched.code() != StatusCode::kNotFound) return touched;
    }
    const int64_t now = rep_->Now();
    const int64_t deadline = now + ttl.count();
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE trials SET lease_deadline_ms = ?, updated_ms = ? WHERE id = ?"));
      stmt.Bind(deadline, now, trial_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
    return deadline;
  });
}

StatusOr<std::vector<ExpiredLease>> Store::ExpireLeases() {
  return rep_->Write<std::vector<ExpiredLease>>([&]() -> StatusOr<std::vector<ExpiredLease>> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();

    struct Row {
      ExpiredLease lease;
      int64_t sweep_id;
      int max_attempts;
      int64_t deadline_ms;
    };
    std::vector<Row> rows;
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("SELECT t.id, t.attempts, t.worker_id, t.sweep_id, s.max_attempts, "
                      "  t.lease_deadline_ms "
                      // Without INDEXED BY the planner scans the whole table to
                      // return rows in id order.
                      "FROM trials t INDEXED BY trials_active_by_deadline "
                      "JOIN sweeps s ON s.id = t.sweep_id "
                      "WHERE t.status IN ('leased', 'running') AND t.lease_deadline_ms < ? "
                      "ORDER BY t.id"));
      stmt.Bind(now);
      for (;;) {
        LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        Row r;
        r.lease.trial_id = stmt.Int64(0);
        r.lease.attempt = stmt.Int(1);
        r.lease.worker_id = stmt.Text(2);
        r.sweep_id = stmt.Int64(3);
        r.max_attempts = stmt.Int(4);
        r.deadline_ms = stmt.Int64(5);
        rows.push_back(std::move(r));
      }
    }

    std::vector<ExpiredLease> expired;
    for (Row& r : rows) {
      LTSWEEP_ASSIGN_OR_RETURN(const int used, rep_->AttemptsUsed(r.lease.trial_id));
      const std::string error = "attempt " + std::to_string(r.lease.attempt) + " lost (" +
                                std::to_string(used) + " of " + std::to_string(r.max_attempts) +
                                " tries used): lease on worker " + r.lease.worker_id +
                                " expired at " + std::to_string(r.deadline_ms) +
                                " ms without a heartbeat";
      {
        LTSWEEP_ASSIGN_OR_RETURN(
            sqlite::Stmt stmt,
            db->Prepare("UPDATE attempts SET status = 'lost', ended_ms = ?, error = ? "
                        "WHERE trial_id = ? AND attempt = ?"));
        stmt.Bind(now, error, r.lease.trial_id, r.lease.attempt);
        LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      }
      r.lease.requeued = used < r.max_attempts;
      {
        LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                                 db->Prepare("UPDATE trials SET status = ?, lease_token = NULL, "
                                             "lease_deadline_ms = NULL, error = ?, updated_ms = ?, "
                                             "finished_ms = ? WHERE id = ?"));
        std::optional<int64_t> finished;
        if (!r.lease.requeued) finished = now;
        stmt.Bind(r.lease.requeued ? "queued" : "failed", error, now, finished, r.lease.trial_id);
        LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      }
      const std::string trial = "trial " + std::to_string(r.lease.trial_id);
      if (r.lease.requeued) {
        LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
            "lease_expired", r.sweep_id, r.lease.trial_id, r.lease.worker_id, r.lease.attempt,
            trial + " requeued for attempt " + std::to_string(r.lease.attempt + 1) + ": " + error));
      } else {
        LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent("trial_failed", r.sweep_id, r.lease.trial_id,
                                               r.lease.worker_id, r.lease.attempt,
                                               trial + " failed: " + error));
        LTSWEEP_RETURN_IF_ERROR(rep_->RollUpSweep(r.sweep_id));
      }
      expired.push_back(r.lease);
    }
    return expired;
  });
}

Status Store::ReportMetrics(int64_t trial_id, const std::string& token, const MetricBatch& batch) {
  LTSWEEP_RETURN_IF_ERROR(ValidateBatch(batch));
  return rep_->Write([&] { return rep_->ReportMetricsTxn(trial_id, token, batch); });
}

void Store::ReportMetricsAsync(int64_t trial_id, std::string token, MetricBatch batch,
                               std::function<void(Status)> done) {
  Status valid = ValidateBatch(batch);
  if (!valid.ok()) return done(valid);
  Rep* rep = rep_.get();
  rep->writer.RunAsync(
      [rep, trial_id, token = std::move(token), batch = std::move(batch)] {
        return rep->ReportMetricsTxn(trial_id, token, batch);
      },
      std::move(done));
}

Status Store::Rep::ReportMetricsTxn(int64_t trial_id, const std::string& token,
                                     const MetricBatch& batch) {
  LTSWEEP_ASSIGN_OR_RETURN(Rep::LeaseState lease, CheckLease(trial_id, token, batch.worker_id));
  LTSWEEP_RETURN_IF_ERROR(MarkRunning(lease));
  const int64_t now = Now();

  const std::string& metric_name = lease.metric_name;
  const std::string& metric_goal = lease.metric_goal;

  bool has_metric = false;
  for (size_t first = 0; first < batch.metrics.size(); first += kRowsPerInsert) {
    const size_t n = std::min(kRowsPerInsert, batch.metrics.size() - first);
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare(MultiRowInsert("INSERT INTO metrics (trial_id, attempt, epoch, name, value)",
                                   5, n,
                                   "ON CONFLICT (trial_id, attempt, epoch, name) "
                                   "DO UPDATE SET value = excluded.value")));
    stmt.Reset();
    int index = 1;
    for (size_t i = first; i < first + n; ++i) {
      const MetricRow& row = batch.metrics[i];
      stmt.BindOne(index++, trial_id);
      stmt.BindOne(index++, lease.attempt);
      stmt.BindOne(index++, row.epoch);
      stmt.BindOne(index++, row.name);
      stmt.BindOne(index++, row.value);
      has_metric = has_metric || row.name == metric_name;
    }
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  for (size_t first = 0; first < batch.per_class.size(); first += kRowsPerInsert) {
    const size_t n = std::min(kRowsPerInsert, batch.per_class.size() - first);
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare(MultiRowInsert("INSERT INTO per_class_metrics (trial_id, attempt, epoch, "
                                   "name, class_index, value)",
                                   6, n,
                                   "ON CONFLICT (trial_id, attempt, epoch, name, class_index) "
                                   "DO UPDATE SET value = excluded.value")));
    stmt.Reset();
    int index = 1;
    for (size_t i = first; i < first + n; ++i) {
      const PerClassRow& row = batch.per_class[i];
      stmt.BindOne(index++, trial_id);
      stmt.BindOne(index++, lease.attempt);
      stmt.BindOne(index++, row.epoch);
      stmt.BindOne(index++, row.name);
      stmt.BindOne(index++, row.class_index);
      stmt.BindOne(index++, row.value);
    }
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  if (!batch.payloads.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("INSERT INTO trial_payloads (trial_id, attempt, epoch, kind, json, "
                    "created_ms) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (trial_id, attempt, epoch, kind) "
                    "DO UPDATE SET json = excluded.json, created_ms = excluded.created_ms"));
    for (const PayloadRow& row : batch.payloads) {
      stmt.Bind(trial_id, lease.attempt, row.epoch, row.kind, row.json, now);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
  }

  if (has_metric) {
    // Keep best/last of the sweep's metric current, so progress shows while
    // the trial runs.
    // One pass over the attempt's rows of that metric, in epoch order (the
    // primary key's): last = the highest epoch's value; best = the
    // lowest (or highest) non-null value, the earliest epoch on a tie.
    std::optional<double> last, best;
    std::optional<int> best_epoch;
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("SELECT epoch, value FROM metrics WHERE trial_id = ? AND attempt = ? AND "
                      "name = ? ORDER BY epoch"));
      stmt.Bind(trial_id, lease.attempt, metric_name);
      const bool maximize = metric_goal == "maximize";
      for (;;) {
        LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        const std::optional<double> value = stmt.OptDouble(1);
        last = value;
        if (value && (!best || (maximize ? *value > *best : *value < *best))) {
          best = value;
          best_epoch = stmt.Int(0);
        }
      }
    }
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE trials SET best_metric = ?, best_epoch = ?, last_metric = ?, "
                    "updated_ms = ? WHERE id = ?"));
    stmt.Bind(best, best_epoch, last, now, trial_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  return Status::Ok();
}

StatusOr<FinishResult> Store::FinishAttempt(int64_t trial_id, const std::string& token,
                                            const FinishRequest& request) {
  return rep_->Write<FinishResult>([&] { return rep_->FinishAttemptTxn(trial_id, token, request); });
}

void Store::FinishAttemptAsync(int64_t trial_id, std::string token, FinishRequest request,
                               std::function<void(StatusOr<FinishResult>)> done) {
  Rep* rep = rep_.get();
  rep->WriteAsync<FinishResult>(
      [rep, trial_id, token = std::move(token), request = std::move(request)] {
        return rep->FinishAttemptTxn(trial_id, token, request);
      },
      std::move(done));
}

StatusOr<FinishResult> Store::Rep::FinishAttemptTxn(int64_t trial_id, const std::string& token,
                                                     const FinishRequest& request) {
  LTSWEEP_ASSIGN_OR_RETURN(Rep::LeaseState lease, CheckLease(trial_id, token, request.worker_id));
  const int64_t now = Now();

  AttemptState attempt_status = AttemptState::kFailed;
  FinishResult result;
  switch (request.outcome) {
    case AttemptOutcome::kSucceeded:
      attempt_status = AttemptState::kSucceeded;
      result.trial_state = TrialState::kSucceeded;
      break;
    case AttemptOutcome::kFailedPermanent:
      result.trial_state = TrialState::kFailed;
      break;
    case AttemptOutcome::kFailedRetryable: {
      LTSWEEP_ASSIGN_OR_RETURN(const int used, AttemptsUsed(trial_id));
      result.requeued = used < lease.max_attempts;
      result.trial_state = result.requeued ? TrialState::kQueued : TrialState::kFailed;
      break;
    }
    case AttemptOutcome::kInterrupted:
      // The worker stopped it (shutdown): not the trial's fault, so it does
      // not use up a try (AttemptsUsed skips interrupted attempts).
      attempt_status = AttemptState::kInterrupted;
      result.requeued = true;
      result.trial_state = TrialState::kQueued;
      break;
  }
  std::string error = request.error;
  if (error.empty() && attempt_status != AttemptState::kSucceeded) {
    error = std::string(AttemptOutcomeName(request.outcome)) + " with exit code " +
            std::to_string(request.exit_code);
  }
  std::optional<std::string> error_or_null;
  if (!error.empty() && attempt_status != AttemptState::kSucceeded) error_or_null = error;

  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE attempts SET status = ?, exit_code = ?, error = ?, ended_ms = ? "
                    "WHERE trial_id = ? AND attempt = ?"));
    stmt.Bind(AttemptStateName(attempt_status), request.exit_code, error_or_null, now, trial_id,
              lease.attempt);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  {
    std::optional<int64_t> finished;
    if (IsTerminal(result.trial_state)) finished = now;
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE trials SET status = ?, lease_token = NULL, lease_deadline_ms = NULL, "
                    "error = ?, best_metric = coalesce(?, best_metric), "
                    "last_metric = coalesce(?, last_metric), "
                    "best_epoch = coalesce(?, best_epoch), updated_ms = ?, finished_ms = ? "
                    "WHERE id = ?"));
    stmt.Bind(TrialStateName(result.trial_state), error_or_null, request.best_metric,
              request.last_metric, request.best_epoch, now, finished, trial_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }

  const std::string trial =
      "trial " + std::to_string(trial_id) + " attempt " + std::to_string(lease.attempt);
  std::string kind, message;
  if (result.trial_state == TrialState::kSucceeded) {
    kind = "trial_succeeded";
    message = trial + " succeeded on " + lease.worker_id;
  } else if (result.requeued) {
    kind = "trial_retried";
    message = trial + " " + AttemptOutcomeName(request.outcome) + " (exit " +
              std::to_string(request.exit_code) + "), retrying as attempt " +
              std::to_string(lease.attempt + 1) + ": " + error;
  } else {
    kind = "trial_failed";
    message = trial + " failed (exit " + std::to_string(request.exit_code) + "): " + error;
  }
  LTSWEEP_RETURN_IF_ERROR(
      AddEvent(kind, lease.sweep_id, trial_id, lease.worker_id, lease.attempt, message));
  if (!lease.worker_id.empty()) {
    Status touched = TouchWorker(lease.worker_id);
    if (!touched.ok() && touched.code() != StatusCode::kNotFound) return touched;
  }
  LTSWEEP_RETURN_IF_ERROR(RollUpSweep(lease.sweep_id));
  return result;
}

}  // namespace ltsweep
