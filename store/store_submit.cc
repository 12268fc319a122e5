// Store: creating sweeps -- small ones in one transaction, large ones in
// chunks (the sweep 'submitting' meanwhile) -- and rolling back a chunked
// submission that a crash cut short.
#include <algorithm>
#include <string>
#include <vector>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

Status ValidateNewSweep(const NewSweep& sweep) {
  if (sweep.max_attempts < 1) {
    return InvalidArgumentError("max_attempts must be at least 1, got " +
                                std::to_string(sweep.max_attempts));
  }
  if (sweep.metric_goal != "minimize" && sweep.metric_goal != "maximize") {
    return InvalidArgumentError("metric.goal must be minimize or maximize, got '" +
                                sweep.metric_goal + "'");
  }
  if (sweep.metric_name.empty()) return InvalidArgumentError("metric.name is empty");
  if (sweep.gpus < 0 || sweep.gpus > kMaxGpusPerTrial) {
    return InvalidArgumentError("resources.gpus must be 0.." + std::to_string(kMaxGpusPerTrial) + ", got " +
                                std::to_string(sweep.gpus));
  }
  if (sweep.search) {
    if (sweep.search->method != "bayes")
      return InvalidArgumentError("unknown search method '" + sweep.search->method + "'; expected bayes");
    if (sweep.search->run_cap < 1)
      return InvalidArgumentError("run_cap must be at least 1, got " + std::to_string(sweep.search->run_cap));
    if (!sweep.trials.empty())
      return InvalidArgumentError("a sweep whose trials are made at lease time is created without trials");
  }
  if (sweep.timeout_ms < 0 || sweep.no_progress_timeout_ms < 0) {
    return InvalidArgumentError("resources.timeout and resources.no_progress_timeout must not be "
                                "negative");
  }
  for (size_t i = 0; i < sweep.trials.size(); ++i) {
    if (sweep.trials[i].config_hash.empty() || sweep.trials[i].config_json.empty()) {
      return InvalidArgumentError("trial " + std::to_string(i) +
                                  " of the sweep has an empty config or config hash");
    }
  }
  return Status::Ok();
}

// The sweep an earlier CreateSweep made for `request_id`, as that call
// answered it; nullopt when there is none. UNAVAILABLE while that
// submission is still inserting its trials.
StatusOr<std::optional<CreatedSweep>> FindSubmitted(sqlite::Db* db, const std::string& request_id) {
  std::optional<CreatedSweep> none;
  if (request_id.empty()) return none;
  CreatedSweep created;
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt, db->Prepare("SELECT id, submitting FROM sweeps WHERE request_id = ?"));
    stmt.Bind(request_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return none;
    created.sweep_id = stmt.Int64(0);
    if (stmt.Int(1) != 0) {
      return UnavailableError("sweep " + std::to_string(created.sweep_id) + " of submission " +
                              request_id + " is still being submitted; retry later");
    }
  }
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT id, reused_from_trial_id IS NOT NULL FROM trials WHERE sweep_id = ? "
                  "ORDER BY ordinal"));
  stmt.Bind(created.sweep_id);
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    created.trial_ids.push_back(stmt.Int64(0));
    ++(stmt.Int(1) != 0 ? created.n_linked : created.n_queued);
  }
  created.existing = true;
  return std::optional<CreatedSweep>(std::move(created));
}

StatusOr<int64_t> InsertSweepRow(sqlite::Db* db, const NewSweep& sweep, bool submitting,
                                 int64_t now) {
  std::optional<std::string> request_id;
  if (!sweep.request_id.empty()) request_id = sweep.request_id;
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("INSERT INTO sweeps (name, spec_yaml, status, priority, max_attempts, rerun, "
                  "metric_name, metric_goal, n_trials, created_ms, updated_ms, request_id, "
                  "timeout_ms, no_progress_timeout_ms, submitting, gpus) "
                  "VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  stmt.Bind(sweep.name, sweep.spec_yaml, sweep.priority, sweep.max_attempts, sweep.rerun,
            sweep.metric_name, sweep.metric_goal, static_cast<int64_t>(sweep.trials.size()), now,
            now, request_id, sweep.timeout_ms, sweep.no_progress_timeout_ms, submitting, sweep.gpus);
  LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  const int64_t sweep_id = db->LastInsertRowId();
  if (!sweep.early_terminate_json.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt et, db->Prepare("UPDATE sweeps SET early_terminate = ? WHERE id = ?"));
    et.Bind(sweep.early_terminate_json, sweep_id);
    LTSWEEP_RETURN_IF_ERROR(et.Run());
  }
  if (sweep.search) {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt search,
        db->Prepare("INSERT INTO sweep_search (sweep_id, method, seed, run_cap) VALUES (?, ?, ?, ?)"));
    search.Bind(sweep_id, sweep.search->method, static_cast<int64_t>(sweep.search->seed), sweep.search->run_cap);
    LTSWEEP_RETURN_IF_ERROR(search.Run());
  }
  if (!sweep.stages.empty()) LTSWEEP_RETURN_IF_ERROR(InsertSweepStages(db, sweep_id, sweep, now));
  return sweep_id;
}

}  // namespace

Status InsertTrials(sqlite::Db* db, const NewSweep& sweep, size_t first, size_t last, int64_t now,
                    CreatedSweep& created, int64_t ordinal_base) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt find_done,
      db->Prepare("SELECT id, best_metric, last_metric, best_epoch FROM trials "
                  "WHERE config_hash = ? AND status = 'succeeded' ORDER BY id LIMIT 1"));
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt insert,
      db->Prepare("INSERT INTO trials (sweep_id, ordinal, config_json, config_hash, status, "
                  "reused_from_trial_id, best_metric, last_metric, best_epoch, created_ms, "
                  "updated_ms, finished_ms, epochs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                  "?10, ?11, ?12, coalesce(CASE WHEN json_valid(?3) THEN "
                  "CAST(json_extract(?3, '$.train.epochs') AS INTEGER) END, 0))"));
  for (size_t i = first; i < last; ++i) {
    const NewTrial& trial = sweep.trials[i];
    std::optional<int64_t> source;
    std::optional<double> best, last_metric;
    std::optional<int> best_epoch;
    if (!sweep.rerun) {
      find_done.Bind(trial.config_hash);
      LTSWEEP_ASSIGN_OR_RETURN(bool row, find_done.Step());
      if (row) {
        source = find_done.Int64(0);
        best = find_done.OptDouble(1);
        last_metric = find_done.OptDouble(2);
        best_epoch = find_done.OptInt(3);
      }
    }
    std::optional<int64_t> finished;
    if (source) finished = now;
    insert.Bind(created.sweep_id, ordinal_base + static_cast<int64_t>(i), trial.config_json, trial.config_hash,
                source ? "linked" : "queued", source, best, last_metric, best_epoch, now, now,
                finished);
    LTSWEEP_RETURN_IF_ERROR(insert.Run());
    created.trial_ids.push_back(db->LastInsertRowId());
    ++(source ? created.n_linked : created.n_queued);
  }
  return Status::Ok();
}

namespace {

// FAILED_PRECONDITION unless the sweep exists and is still submitting (a
// rollback may have removed it).
Status CheckSubmitting(sqlite::Db* db, int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                           db->Prepare("SELECT submitting FROM sweeps WHERE id = ?"));
  stmt.Bind(sweep_id);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row || stmt.Int(0) == 0) {
    return FailedPreconditionError("sweep " + std::to_string(sweep_id) +
                                   " is no longer being submitted (rolled back?)");
  }
  return Status::Ok();
}

// Deletes up to `limit` trials of the sweep; returns how many.
StatusOr<int> DeleteSomeTrials(sqlite::Db* db, int64_t sweep_id, int limit) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("DELETE FROM trials WHERE id IN "
                  "(SELECT id FROM trials WHERE sweep_id = ? ORDER BY ordinal DESC LIMIT ?)"));
  stmt.Bind(sweep_id, static_cast<int64_t>(limit));
  LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  return db->Changes();
}

}  // namespace

Status Store::Rep::OpenSweep(const NewSweep& sweep, const CreatedSweep& created) {
  LTSWEEP_RETURN_IF_ERROR(AddEvent(
      "sweep_submitted", created.sweep_id, std::nullopt, "", std::nullopt,
      "sweep " + std::to_string(created.sweep_id) + " '" + sweep.name + "' submitted: " +
          (sweep.search ? sweep.search->method + " search, up to " + std::to_string(sweep.search->run_cap) +
                              " trials made as workers ask"
                        : std::to_string(sweep.trials.size()) + " trials (" + std::to_string(created.n_queued) +
                              " queued, " + std::to_string(created.n_linked) + " linked to earlier results)")));
  return RollUpSweep(created.sweep_id);
}

Status Store::Rep::RollBackSubmit(int64_t sweep_id) {
  const int chunk = std::max(1, submit_chunk_trials);
  int64_t removed = 0;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(int n, Write<int>([&]() -> StatusOr<int> {
      LTSWEEP_RETURN_IF_ERROR(CheckSubmitting(db.get(), sweep_id));
      return DeleteSomeTrials(db.get(), sweep_id, chunk);
    }));
    removed += n;
    if (n == 0) break;
  }
  return Write([&]() -> Status {
    LTSWEEP_RETURN_IF_ERROR(CheckSubmitting(db.get(), sweep_id));
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db->Prepare("DELETE FROM sweeps WHERE id = ?"));
    stmt.Bind(sweep_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    return AddEvent("sweep_submit_rolled_back", sweep_id, std::nullopt, "", std::nullopt,
                    "sweep " + std::to_string(sweep_id) +
                        " removed: its submission stopped before all its trials were inserted (" +
                        std::to_string(removed) + " trials removed)");
  });
}

StatusOr<CreatedSweep> Store::CreateSweep(const NewSweep& sweep) {
  LTSWEEP_RETURN_IF_ERROR(ValidateNewSweep(sweep));
  if (sweep.search && !rep_->suggest_trial) {
    return FailedPreconditionError("a " + sweep.search->method +
                                   " sweep needs a store that makes trials at lease time "
                                   "(StoreOptions::suggest_trial; the coordinator sets it)");
  }
  Rep* rep = rep_.get();
  const size_t chunk = static_cast<size_t>(rep->submit_chunk_trials);
  if (chunk == 0 || sweep.trials.size() <= chunk) {
    return rep->Write<CreatedSweep>([&]() -> StatusOr<CreatedSweep> {
      sqlite::Db* db = rep->db.get();
      const int64_t now = rep->Now();
      LTSWEEP_ASSIGN_OR_RETURN(std::optional<CreatedSweep> earlier,
                               FindSubmitted(db, sweep.request_id));
      if (earlier) return std::move(*earlier);
      CreatedSweep created;
      LTSWEEP_ASSIGN_OR_RETURN(created.sweep_id, InsertSweepRow(db, sweep, false, now));
      LTSWEEP_RETURN_IF_ERROR(InsertTrials(db, sweep, 0, sweep.trials.size(), now, created));
      LTSWEEP_RETURN_IF_ERROR(rep->OpenSweep(sweep, created));
      return created;
    });
  }

  // Large: the sweep row, then one transaction per chunk, then open it.
  CreatedSweep created;
  bool existing = false;
  Status status = rep->Write([&]() -> Status {
    LTSWEEP_ASSIGN_OR_RETURN(std::optional<CreatedSweep> earlier,
                             FindSubmitted(rep->db.get(), sweep.request_id));
    if (earlier) {
      created = std::move(*earlier);
      existing = true;
      return Status::Ok();
    }
    LTSWEEP_ASSIGN_OR_RETURN(created.sweep_id,
                             InsertSweepRow(rep->db.get(), sweep, true, rep->Now()));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  if (existing) return created;
  created.trial_ids.reserve(sweep.trials.size());
  for (size_t first = 0; first < sweep.trials.size() && status.ok(); first += chunk) {
    const size_t last = std::min(sweep.trials.size(), first + chunk);
    const size_t ids = created.trial_ids.size();
    const int queued = created.n_queued, linked = created.n_linked;
    status = rep->Write([&]() -> Status {
      LTSWEEP_RETURN_IF_ERROR(CheckSubmitting(rep->db.get(), created.sweep_id));
      return InsertTrials(rep->db.get(), sweep, first, last, rep->Now(), created);
    });
    if (!status.ok()) {  // nothing of the chunk stayed
      created.trial_ids.resize(ids);
      created.n_queued = queued;
      created.n_linked = linked;
    }
  }
  if (status.ok()) {
    status = rep->Write([&]() -> Status {
      LTSWEEP_RETURN_IF_ERROR(CheckSubmitting(rep->db.get(), created.sweep_id));
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          rep->db->Prepare("UPDATE sweeps SET submitting = 0, updated_ms = ? WHERE id = ?"));
      stmt.Bind(rep->Now(), created.sweep_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      return rep->OpenSweep(sweep, created);
    });
  }
  if (status.ok()) return created;
  // Best effort: what stays behind is removed by RollBackUnfinishedSubmits.
  Status rolled_back = rep->RollBackSubmit(created.sweep_id);
  (void)rolled_back;
  return status;
}

StatusOr<std::vector<int64_t>> Store::RollBackUnfinishedSubmits() {
  Rep* rep = rep_.get();
  LTSWEEP_ASSIGN_OR_RETURN(
      std::vector<int64_t> sweeps, rep->Read<std::vector<int64_t>>([](sqlite::Db* db) -> StatusOr<std::vector<int64_t>> {
        std::vector<int64_t> ids;
        LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                                 db->Prepare("SELECT id FROM sweeps WHERE submitting = 1"));
        for (;;) {
          LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
          if (!row) break;
          ids.push_back(stmt.Int64(0));
        }
        return ids;
      }));
  for (int64_t sweep_id : sweeps) LTSWEEP_RETURN_IF_ERROR(rep->RollBackSubmit(sweep_id));
  return sweeps;
}

}  // namespace ltsweep
