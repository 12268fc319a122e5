// Store: creating and cancelling sweeps.
#include <mutex>

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
  if (sweep.timeout_ms < 0 || sweep.no_progress_timeout_ms < 0) {
    return InvalidArgumentError("resources.timeout and resources.no_progress_timeout must not be "
                                "negative");
  }
  if (sweep.search) {
    if (sweep.search->method != "bayes")
      return InvalidArgumentError("unknown search method '" + sweep.search->method + "'; expected bayes");
    if (sweep.search->run_cap < 1)
      return InvalidArgumentError("run_cap must be at least 1, got " + std::to_string(sweep.search->run_cap));
    if (!sweep.trials.empty())
      return InvalidArgumentError("a sweep whose trials are made at lease time is created without trials");
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
// answered it; nullopt when there is none.
StatusOr<std::optional<CreatedSweep>> FindSubmitted(sqlite::Db* db, const std::string& request_id) {
  std::optional<CreatedSweep> none;
  if (request_id.empty()) return none;
  CreatedSweep created;
  {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                             db->Prepare("SELECT id FROM sweeps WHERE request_id = ?"));
    stmt.Bind(request_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return none;
    created.sweep_id = stmt.Int64(0);
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

}  // namespace

StatusOr<CreatedSweep> Store::CreateSweep(const NewSweep& sweep) {
  LTSWEEP_RETURN_IF_ERROR(ValidateNewSweep(sweep));
  if (sweep.search && !rep_->suggest_trial) {
    return FailedPreconditionError("a " + sweep.search->method +
                                   " sweep needs a store that makes trials at lease time "
                                   "(StoreOptions::suggest_trial; the coordinator sets it)");
  }
  return rep_->Write<CreatedSweep>([&]() -> StatusOr<CreatedSweep> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();

    LTSWEEP_ASSIGN_OR_RETURN(std::optional<CreatedSweep> earlier,
                             FindSubmitted(db, sweep.request_id));
    if (earlier) return std::move(*earlier);

    CreatedSweep created;
    {
      std::optional<std::string> request_id;
      if (!sweep.request_id.empty()) request_id = sweep.request_id;
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("INSERT INTO sweeps (name, spec_yaml, status, priority, max_attempts, rerun, "
                      "metric_name, metric_goal, n_trials, created_ms, updated_ms, request_id, "
                      "timeout_ms, no_progress_timeout_ms, gpus) "
                      "VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      stmt.Bind(sweep.name, sweep.spec_yaml, sweep.priority, sweep.max_attempts, sweep.rerun,
                sweep.metric_name, sweep.metric_goal, static_cast<int64_t>(sweep.trials.size()),
                now, now, request_id, sweep.timeout_ms, sweep.no_progress_timeout_ms, sweep.gpus);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      created.sweep_id = db->LastInsertRowId();
      if (!sweep.early_terminate_json.empty()) {
        LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt et,
                                 db->Prepare("UPDATE sweeps SET early_terminate = ? WHERE id = ?"));
        et.Bind(sweep.early_terminate_json, created.sweep_id);
        LTSWEEP_RETURN_IF_ERROR(et.Run());
      }
    }
    if (sweep.search) {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("INSERT INTO sweep_search (sweep_id, method, seed, run_cap) VALUES (?, ?, ?, ?)"));
      stmt.Bind(created.sweep_id, sweep.search->method, static_cast<int64_t>(sweep.search->seed),
                sweep.search->run_cap);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }

    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt find_done,
        db->Prepare("SELECT id, best_metric, last_metric, best_epoch FROM trials "
                    "WHERE config_hash = ? AND status = 'succeeded' ORDER BY id LIMIT 1"));
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt insert,
        db->Prepare("INSERT INTO trials (sweep_id, ordinal, config_json, config_hash, status, "
                    "reused_from_trial_id, best_metric, last_metric, best_epoch, created_ms, "
                    "updated_ms, finished_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    created.trial_ids.reserve(sweep.trials.size());
    for (size_t i = 0; i < sweep.trials.size(); ++i) {
      const NewTrial& trial = sweep.trials[i];
      std::optional<int64_t> source;
      std::optional<double> best, last;
      std::optional<int> best_epoch;
      if (!sweep.rerun) {
        find_done.Bind(trial.config_hash);
        LTSWEEP_ASSIGN_OR_RETURN(bool row, find_done.Step());
        if (row) {
          source = find_done.Int64(0);
          best = find_done.OptDouble(1);
          last = find_done.OptDouble(2);
          best_epoch = find_done.OptInt(3);
        }
      }
      std::optional<int64_t> finished;
      if (source) finished = now;
      insert.Bind(created.sweep_id, static_cast<int64_t>(i), trial.config_json, trial.config_hash,
                  source ? "linked" : "queued", source, best, last, best_epoch, now, now, finished);
      LTSWEEP_RETURN_IF_ERROR(insert.Run());
      created.trial_ids.push_back(db->LastInsertRowId());
      if (source) {
        ++created.n_linked;
      } else {
        ++created.n_queued;
      }
    }

    LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
        "sweep_submitted", created.sweep_id, std::nullopt, "", std::nullopt,
        "sweep " + std::to_string(created.sweep_id) + " '" + sweep.name + "' submitted: " +
            (sweep.search ? sweep.search->method + " search, up to " +
                                std::to_string(sweep.search->run_cap) + " trials made as workers ask"
                          : std::to_string(sweep.trials.size()) + " trials (" + std::to_string(created.n_queued) +
                                " queued, " + std::to_string(created.n_linked) + " linked to earlier results)")));
    LTSWEEP_RETURN_IF_ERROR(rep_->RollUpSweep(created.sweep_id));
    return created;
  });
}

StatusOr<std::vector<CancelledLease>> Store::CancelSweep(int64_t sweep_id) {
  return rep_->Write<std::vector<CancelledLease>>([&]() -> StatusOr<std::vector<CancelledLease>> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();

    {
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                               db->Prepare("SELECT status FROM sweeps WHERE id = ?"));
      stmt.Bind(sweep_id);
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return NotFoundError("no sweep " + std::to_string(sweep_id));
      auto status = ParseSweepState(stmt.Text(0));
      if (status != SweepState::kPending && status != SweepState::kRunning) {
        return std::vector<CancelledLease>{};
      }
    }

    std::vector<CancelledLease> cancelled;
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("SELECT id, attempts, worker_id FROM trials "
                      "WHERE sweep_id = ? AND status IN ('leased', 'running') ORDER BY id"));
      stmt.Bind(sweep_id);
      for (;;) {
        LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        cancelled.push_back({stmt.Int64(0), stmt.Int(1), stmt.Text(2)});
      }
    }
    for (const CancelledLease& lease : cancelled) {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE attempts SET status = 'cancelled', ended_ms = ?, "
                      "error = 'sweep cancelled' WHERE trial_id = ? AND attempt = ?"));
      stmt.Bind(now, lease.trial_id, lease.attempt);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
          "trial_cancelled", sweep_id, lease.trial_id, lease.worker_id, lease.attempt,
          "trial " + std::to_string(lease.trial_id) + " attempt " + std::to_string(lease.attempt) +
              " cancelled on " + lease.worker_id));
    }
    int n_trials = 0;
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE trials SET status = 'cancelled', lease_token = NULL, "
                      "lease_deadline_ms = NULL, updated_ms = ?, finished_ms = ? "
                      "WHERE sweep_id = ? AND status IN ('queued', 'leased', 'running')"));
      stmt.Bind(now, now, sweep_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      n_trials = db->Changes();
    }
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE sweeps SET status = 'cancelled', updated_ms = ?, finished_ms = ? "
                      "WHERE id = ?"));
      stmt.Bind(now, now, sweep_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
    LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
        "sweep_cancelled", sweep_id, std::nullopt, "", std::nullopt,
        "sweep " + std::to_string(sweep_id) + " cancelled: " + std::to_string(n_trials) +
            " trials cancelled, " + std::to_string(cancelled.size()) + " of them running"));
    return cancelled;
  });
}

}  // namespace ltsweep
