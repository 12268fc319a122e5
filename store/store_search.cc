// Store: sweeps whose trials are made at lease time (method: bayes). The
// suggester (StoreOptions::suggest_trial) picks each trial's config; this
// file reads what it needs, inserts what it picked and ends the search when
// it has nothing new.
#include <string>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

// The sweep's search settings and what the suggester needs to see; nullopt
// when the sweep is not made at lease time, is used up or reached run_cap.
StatusOr<std::optional<SuggestRequest>> ReadSuggestRequest(sqlite::Db* db, int64_t sweep_id, bool* rerun,
                                                           int* n_trials) {
  SuggestRequest request;
  request.sweep_id = sweep_id;
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT x.seed, x.run_cap, s.spec_yaml, s.metric_goal, s.n_trials, s.rerun "
                    "FROM sweep_search x JOIN sweeps s ON s.id = x.sweep_id "
                    "WHERE x.sweep_id = ? AND x.exhausted = 0 AND x.run_cap > s.n_trials"));
    stmt.Bind(sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<SuggestRequest>();
    request.seed = static_cast<uint64_t>(stmt.Int64(0));
    request.run_cap = stmt.Int64(1);
    request.spec_yaml = stmt.Text(2);
    request.metric_goal = stmt.Text(3);
    *n_trials = stmt.Int(4);
    *rerun = stmt.Int(5) != 0;
  }
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT t.ordinal, coalesce(p.point_json, ''), t.config_hash, t.status, t.best_metric, "
                  "  t.last_metric FROM trials t LEFT JOIN trial_params p ON p.trial_id = t.id "
                  "WHERE t.sweep_id = ? ORDER BY t.ordinal"));
  stmt.Bind(sweep_id);
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    SearchTrial t;
    t.ordinal = stmt.Int(0);
    t.point_json = stmt.Text(1);
    t.config_hash = stmt.Text(2);
    t.state = ParseTrialState(stmt.Text(3)).value_or(TrialState::kQueued);
    t.best_metric = stmt.OptDouble(4);
    t.last_metric = stmt.OptDouble(5);
    request.trials.push_back(std::move(t));
  }
  return std::optional<SuggestRequest>(std::move(request));
}

}  // namespace

StatusOr<std::optional<Store::Rep::Candidate>> Store::Rep::MakeSuggestedTrial(int64_t sweep_id) {
  using Found = std::optional<Candidate>;
  for (;;) {
    bool rerun = false;
    int n_trials = 0;
    LTSWEEP_ASSIGN_OR_RETURN(std::optional<SuggestRequest> request,
                             ReadSuggestRequest(db.get(), sweep_id, &rerun, &n_trials));
    if (!request) return Found();
    StatusOr<std::optional<SuggestedTrial>> suggested =
        suggest_trial ? suggest_trial(*request)
                      : StatusOr<std::optional<SuggestedTrial>>(
                            FailedPreconditionError("this coordinator makes no trials at lease time"));
    if (!suggested.ok() || !suggested->has_value()) {
      // The search ends here: used up, or failing (kept, never retried in a loop).
      const std::string why = suggested.ok() ? "" : suggested.status().ToString();
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt, db->Prepare("UPDATE sweep_search SET exhausted = 1, error = ? WHERE sweep_id = ?"));
      stmt.Bind(why.empty() ? std::optional<std::string>() : std::optional<std::string>(why), sweep_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      LTSWEEP_RETURN_IF_ERROR(AddEvent(
          why.empty() ? "search_exhausted" : "search_failed", sweep_id, std::nullopt, "", std::nullopt,
          why.empty() ? "sweep " + std::to_string(sweep_id) + ": no new configuration left after " +
                            std::to_string(n_trials) + " of " + std::to_string(request->run_cap) + " trials"
                      : "sweep " + std::to_string(sweep_id) + ": the search stopped after " +
                            std::to_string(n_trials) + " trials: " + why));
      LTSWEEP_RETURN_IF_ERROR(RollUpSweep(sweep_id));
      return Found();
    }
    const SuggestedTrial& trial = **suggested;
    std::optional<int64_t> source;
    std::optional<double> best, last;
    std::optional<int> best_epoch;
    if (!rerun) {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt find,
          db->Prepare("SELECT id, best_metric, last_metric, best_epoch FROM trials "
                      "WHERE config_hash = ? AND status = 'succeeded' ORDER BY id LIMIT 1"));
      find.Bind(trial.config_hash);
      LTSWEEP_ASSIGN_OR_RETURN(bool row, find.Step());
      if (row) {
        source = find.Int64(0);
        best = find.OptDouble(1);
        last = find.OptDouble(2);
        best_epoch = find.OptInt(3);
      }
    }
    const int64_t now = Now();
    int64_t trial_id = 0;
    {
      std::optional<int64_t> finished;
      if (source) finished = now;
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("INSERT INTO trials (sweep_id, ordinal, config_json, config_hash, status, "
                      "reused_from_trial_id, best_metric, last_metric, best_epoch, created_ms, "
                      "updated_ms, finished_ms, epochs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                      "?11, ?12, coalesce(CASE WHEN json_valid(?3) THEN "
                      "CAST(json_extract(?3, '$.train.epochs') AS INTEGER) END, 0))"));
      stmt.Bind(sweep_id, static_cast<int64_t>(n_trials), trial.config_json, trial.config_hash,
                source ? "linked" : "queued", source, best, last, best_epoch, now, now, finished);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      trial_id = db->LastInsertRowId();
    }
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("INSERT INTO trial_params (trial_id, point_json, params_json) VALUES (?, ?, ?)"));
      stmt.Bind(trial_id, trial.point_json, trial.params_json);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
    {
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                               db->Prepare("UPDATE sweeps SET n_trials = n_trials + 1, updated_ms = ? WHERE id = ?"));
      stmt.Bind(now, sweep_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
    LTSWEEP_RETURN_IF_ERROR(AddEvent(
        "trial_suggested", sweep_id, trial_id, "", std::nullopt,
        "trial " + std::to_string(trial_id) + " (" + std::to_string(n_trials + 1) + " of " +
            std::to_string(request->run_cap) + ") made by the search: " + trial.params_json +
            (source ? ", linked to the earlier result of trial " + std::to_string(*source) : "")));
    if (!source) return Found(Candidate{trial_id, 0, trial.config_json, trial.config_hash});
    // Linked to an earlier result: an observation already. The sweep may be
    // complete now (the last of run_cap); else ask again.
    LTSWEEP_RETURN_IF_ERROR(RollUpSweep(sweep_id));
  }
}

}  // namespace ltsweep
