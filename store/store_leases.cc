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

// Why a row is refused ("" when it is fine).
std::string Rejection(const MetricRow& row) {
  if (row.name.empty()) return "metric row of epoch " + std::to_string(row.epoch) + " has no name";
  return "";
}
std::string Rejection(const PerClassRow& row) {
  if (row.name.empty() || row.class_index < 0) {
    return "per-class row of epoch " + std::to_string(row.epoch) +
           " needs a name and a class_index >= 0";
  }
  return "";
}
std::string Rejection(const PayloadRow& row) {
  if (row.kind.empty() || row.json.empty()) {
    return "payload row of epoch " + std::to_string(row.epoch) + " needs a kind and JSON text";
  }
  return "";
}

std::string Rejection(const LogChunk& chunk) { return LogChunkRejection(chunk); }

template <typename Row>
void KeepGood(const std::vector<Row>& rows, std::vector<Row>& good, ReportResult& result) {
  for (const Row& row : rows) {
    std::string why = Rejection(row);
    if (why.empty()) {
      good.push_back(row);
      continue;
    }
    if (result.rows_rejected++ == 0) result.first_rejection = std::move(why);
  }
}

// Counts the batch's rows; when some are bad, `good` receives the others
// and the batch to write is `good`, else `batch` itself.
const MetricBatch& SplitBatch(const MetricBatch& batch, MetricBatch& good, ReportResult& result) {
  result = ReportResult{};
  bool bad = false;
  for (const auto& r : batch.metrics) bad = bad || !Rejection(r).empty();
  for (const auto& r : batch.per_class) bad = bad || !Rejection(r).empty();
  for (const auto& r : batch.payloads) bad = bad || !Rejection(r).empty();
  for (const auto& c : batch.log_chunks) bad = bad || !Rejection(c).empty();
  if (!bad) {
    result.rows_written = static_cast<int64_t>(batch.size());
    return batch;
  }
  good.worker_id = batch.worker_id;
  good.runtime = batch.runtime;
  KeepGood(batch.metrics, good.metrics, result);
  KeepGood(batch.per_class, good.per_class, result);
  KeepGood(batch.payloads, good.payloads, result);
  KeepGood(batch.log_chunks, good.log_chunks, result);
  result.rows_written = static_cast<int64_t>(good.size());
  return good;
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

namespace {

// A leased or running trial whose deadline passed.
struct ExpiredRow {
  ExpiredLease lease;
  int64_t sweep_id = 0;
  int max_attempts = 0;
  int64_t deadline_ms = 0;
  int64_t updated_ms = 0;  // last word from its worker (or the lease itself)
};

StatusOr<std::vector<ExpiredRow>> ReadExpired(sqlite::Db* db, int64_t now) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT t.id, t.attempts, t.worker_id, t.sweep_id, s.max_attempts, "
                  "  t.lease_deadline_ms, t.updated_ms "
                  // Without INDEXED BY the planner scans the whole table to
                  // return rows in id order.
                  "FROM trials t INDEXED BY trials_active_by_deadline "
                  "JOIN sweeps s ON s.id = t.sweep_id "
                  "WHERE t.status IN ('leased', 'running') AND t.lease_deadline_ms < ? "
                  "ORDER BY t.id"));
  stmt.Bind(now);
  std::vector<ExpiredRow> rows;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ExpiredRow r;
    r.lease.trial_id = stmt.Int64(0);
    r.lease.attempt = stmt.Int(1);
    r.lease.worker_id = stmt.Text(2);
    r.sweep_id = stmt.Int64(3);
    r.max_attempts = stmt.Int(4);
    r.deadline_ms = stmt.Int64(5);
    r.updated_ms = stmt.Int64(6);
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

StatusOr<std::vector<ExpiredLease>> Store::ExpireLeases() {
  return rep_->Write<std::vector<ExpiredLease>>([&]() -> StatusOr<std::vector<ExpiredLease>> {
    const int64_t now = rep_->Now();
    LTSWEEP_ASSIGN_OR_RETURN(std::vector<ExpiredRow> rows, ReadExpired(rep_->db.get(), now));
    std::vector<ExpiredLease> expired;
    for (ExpiredRow& r : rows) {
      LTSWEEP_RETURN_IF_ERROR(rep_->ExpireOne(r.lease, r.sweep_id, r.max_attempts, r.deadline_ms,
                                              r.updated_ms));
      expired.push_back(r.lease);
    }
    return expired;
  });
}

Status Store::Rep::ExpireOne(ExpiredLease& lease, int64_t sweep_id, int max_attempts,
                             int64_t deadline_ms, int64_t updated_ms) {
  const int64_t now = Now();
  // Renewed by ResumeLeases and not heard from since: the worker gave up
  // while the coordinator was down. Not the trial's fault, nor the worker's.
  lease.used_try = !(resumed_ms > 0 && updated_ms < resumed_ms);
  LTSWEEP_ASSIGN_OR_RETURN(int used, AttemptsUsed(lease.trial_id));
  if (!lease.used_try) --used;  // the current attempt no longer counts
  const std::string error =
      "attempt " + std::to_string(lease.attempt) + " lost (" + std::to_string(used) + " of " +
      std::to_string(max_attempts) + " tries used): lease on worker " + lease.worker_id +
      " expired at " + std::to_string(deadline_ms) + " ms without a heartbeat" +
      (lease.used_try ? "" : " since the coordinator restarted (no try used)");
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE attempts SET status = 'lost', outcome = 'lost', used_try = ?, "
                    "ended_ms = ?, error = ? WHERE trial_id = ? AND attempt = ?"));
    stmt.Bind(lease.used_try, now, error, lease.trial_id, lease.attempt);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  lease.requeued = used < max_attempts;
  {
    std::optional<int64_t> finished;
    if (!lease.requeued) finished = now;
    std::optional<std::string> avoid;
    if (lease.used_try && !lease.worker_id.empty()) avoid = lease.worker_id;
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE trials SET status = ?, lease_token = NULL, lease_deadline_ms = NULL, "
                    "lease_request_id = NULL, error = ?, updated_ms = ?, finished_ms = ?, "
                    "avoid_worker = ?, avoid_host = (SELECT host FROM workers WHERE id = ?) "
                    "WHERE id = ?"));
    stmt.Bind(lease.requeued ? "queued" : "failed", error, now, finished, avoid, avoid,
              lease.trial_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  // No CountFailure: a lost lease says the worker was killed or cut off,
  // not that its machine cannot run trials (store/types.h).
  const std::string trial = "trial " + std::to_string(lease.trial_id);
  if (lease.requeued) {
    return AddEvent("lease_expired", sweep_id, lease.trial_id, lease.worker_id, lease.attempt,
                    trial + " requeued for attempt " + std::to_string(lease.attempt + 1) + ": " +
                        error);
  }
  LTSWEEP_RETURN_IF_ERROR(AddEvent("trial_failed", sweep_id, lease.trial_id, lease.worker_id,
                                   lease.attempt, trial + " failed: " + error));
  return RollUpSweep(sweep_id);
}

Status Store::ReportMetrics(int64_t trial_id, const std::string& token, const MetricBatch& batch,
                            ReportResult* result) {
  MetricBatch good;
  ReportResult counted;
  const MetricBatch& rows = SplitBatch(batch, good, counted);
  LTSWEEP_RETURN_IF_ERROR(
      rep_->Write([&] { return rep_->ReportMetricsTxn(trial_id, token, rows); }));
  if (result != nullptr) *result = std::move(counted);
  return Status::Ok();
}

void Store::ReportMetricsAsync(int64_t trial_id, std::string token, MetricBatch batch,
                               std::function<void(StatusOr<ReportResult>)> done) {
  MetricBatch good;
  ReportResult counted;
  if (&SplitBatch(batch, good, counted) == &good) batch = std::move(good);
  Rep* rep = rep_.get();
  rep->writer.RunAsync(
      [rep, trial_id, token = std::move(token), batch = std::move(batch)] {
        return rep->ReportMetricsTxn(trial_id, token, batch);
      },
      [counted = std::move(counted), done = std::move(done)](Status status) {
        if (!status.ok()) return done(std::move(status));
        done(counted);
      });
}

Status Store::Rep::WriteAttemptRuntime(int64_t trial_id, int attempt, const AttemptRuntime& rt) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("UPDATE attempts SET threads = ?, blas = ?, blas_threads = ?, device = ? "
                  "WHERE trial_id = ? AND attempt = ?"));
  stmt.Bind(rt.threads, rt.blas, rt.blas_threads, rt.device, trial_id, attempt);
  return stmt.Run();
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

  if (batch.runtime) LTSWEEP_RETURN_IF_ERROR(WriteAttemptRuntime(trial_id, lease.attempt, *batch.runtime));
  LTSWEEP_RETURN_IF_ERROR(AppendLogChunks(db.get(), trial_id, lease.attempt, batch.log_chunks));

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
  const AttemptOutcome outcome = request.outcome;

  AttemptState attempt_status = AttemptState::kFailed;
  FinishResult result;
  if (outcome == AttemptOutcome::kSucceeded) {
    attempt_status = AttemptState::kSucceeded;
    result.trial_state = TrialState::kSucceeded;
  } else if (outcome == AttemptOutcome::kFailedPermanent) {
    result.trial_state = TrialState::kFailed;
  } else if (outcome == AttemptOutcome::kStopped) {
    // Early termination: not a failure, no try used, not the worker's fault.
    if (!lease.stop_requested) {
      return FailedPreconditionError("trial " + std::to_string(trial_id) +
                                     " cannot finish stopped: early termination did not stop it");
    }
    attempt_status = AttemptState::kStopped;
    result.trial_state = TrialState::kStopped;
  } else if (IsFreeRetry(outcome)) {
    // Not the trial's fault (its worker stopped it, this machine cannot run
    // it, the worker failed around it): it does not use up a try
    // (AttemptsUsed skips the attempt).
    if (outcome == AttemptOutcome::kInterrupted) attempt_status = AttemptState::kInterrupted;
    result.requeued = true;
    result.trial_state = TrialState::kQueued;
  } else {  // kFailedRetryable
    LTSWEEP_ASSIGN_OR_RETURN(const int used, AttemptsUsed(trial_id));
    result.requeued = used < lease.max_attempts;
    result.trial_state = result.requeued ? TrialState::kQueued : TrialState::kFailed;
  }
  std::string error = request.error;
  if (error.empty() && attempt_status != AttemptState::kSucceeded && attempt_status != AttemptState::kStopped) {
    error = std::string(AttemptOutcomeName(outcome)) + " with exit code " +
            std::to_string(request.exit_code);
  }
  std::optional<std::string> error_or_null;
  if (!error.empty() && attempt_status != AttemptState::kSucceeded) error_or_null = error;

  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE attempts SET status = ?, exit_code = ?, error = ?, ended_ms = ?, "
                    "outcome = ?, used_try = ? WHERE trial_id = ? AND attempt = ?"));
    stmt.Bind(AttemptStateName(attempt_status), request.exit_code, error_or_null, now,
              AttemptOutcomeName(outcome), !IsFreeRetry(outcome) && outcome != AttemptOutcome::kStopped,
              trial_id, lease.attempt);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  const bool against_worker = CountsAgainstWorker(outcome) && !lease.worker_id.empty();
  {
    std::optional<int64_t> finished;
    if (IsTerminal(result.trial_state)) finished = now;
    // A retry after a failure that counts against the worker avoids it.
    std::optional<std::string> avoid;
    if (against_worker && result.requeued) avoid = lease.worker_id;
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE trials SET status = ?, lease_token = NULL, lease_deadline_ms = NULL, "
                    "lease_request_id = NULL, error = ?, best_metric = coalesce(?, best_metric), "
                    "last_metric = coalesce(?, last_metric), "
                    "best_epoch = coalesce(?, best_epoch), updated_ms = ?, finished_ms = ?, "
                    "avoid_worker = ?, avoid_host = (SELECT host FROM workers WHERE id = ?) "
                    "WHERE id = ?"));
    stmt.Bind(TrialStateName(result.trial_state), error_or_null, request.best_metric,
              request.last_metric, request.best_epoch, now, finished, avoid, avoid, trial_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  LTSWEEP_RETURN_IF_ERROR(AddFinishEvent(lease, request, result, error));
  if (!lease.worker_id.empty()) {
    Status touched = TouchWorker(lease.worker_id);
    if (!touched.ok() && touched.code() != StatusCode::kNotFound) return touched;
    if (against_worker) {
      LTSWEEP_ASSIGN_OR_RETURN(result.quarantine, CountFailure(lease.worker_id, error));
    } else if (outcome == AttemptOutcome::kSucceeded) {
      LTSWEEP_RETURN_IF_ERROR(ResetFailures(lease.worker_id));
    }
  }
  LTSWEEP_RETURN_IF_ERROR(RollUpSweep(lease.sweep_id));
  return result;
}

Status Store::Rep::AddFinishEvent(const LeaseState& lease, const FinishRequest& request,
                                  const FinishResult& result, const std::string& error) {
  const std::string trial =
      "trial " + std::to_string(lease.trial_id) + " attempt " + std::to_string(lease.attempt);
  std::string kind, message;
  if (result.trial_state == TrialState::kSucceeded) {
    kind = "trial_succeeded";
    message = trial + " succeeded on " + lease.worker_id;
  } else if (result.trial_state == TrialState::kStopped) {
    kind = "trial_stopped";
    message = trial + " stopped early on " + lease.worker_id + (error.empty() ? "" : ": " + error);
  } else if (result.requeued) {
    kind = "trial_retried";
    message = trial + " " + AttemptOutcomeName(request.outcome) + " (exit " +
              std::to_string(request.exit_code) + ") on " + lease.worker_id +
              ", retrying as attempt " + std::to_string(lease.attempt + 1) +
              (IsFreeRetry(request.outcome) ? " (no try used)" : "") + ": " + error;
  } else {
    kind = "trial_failed";
    message = trial + " failed (exit " + std::to_string(request.exit_code) + "): " + error;
  }
  return AddEvent(kind, lease.sweep_id, lease.trial_id, lease.worker_id, lease.attempt, message);
}

}  // namespace ltsweep
