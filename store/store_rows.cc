// Store: the row readers every query shares (store/store_rep.h): sweeps,
// trials, attempts and the metric rows of one attempt.
#include <optional>
#include <string>
#include <vector>

#include "store/store_rep.h"

namespace ltsweep {

const char kSweepColumns[] =
    "id, name, spec_yaml, status, priority, max_attempts, rerun, metric_name, metric_goal, "
    "n_trials, created_ms, updated_ms, finished_ms, "
    "(SELECT run_cap FROM sweep_search x WHERE x.sweep_id = sweeps.id), early_terminate, gpus, submitting";

SweepRecord ReadSweepRow(const sqlite::Stmt& stmt) {
  SweepRecord s;
  s.id = stmt.Int64(0);
  s.name = stmt.Text(1);
  s.spec_yaml = stmt.Text(2);
  s.state = ParseSweepState(stmt.Text(3)).value_or(SweepState::kPending);
  s.priority = stmt.Int(4);
  s.max_attempts = stmt.Int(5);
  s.rerun = stmt.Int(6) != 0;
  s.metric_name = stmt.Text(7);
  s.metric_goal = stmt.Text(8);
  s.n_trials = stmt.Int(9);
  s.created_ms = stmt.Int64(10);
  s.updated_ms = stmt.Int64(11);
  s.finished_ms = stmt.OptInt64(12);
  s.run_cap = stmt.OptInt64(13);
  s.early_terminate_json = stmt.Text(14);  // NULL reads as ""
  s.gpus = stmt.Int(15);
  // Stored as 'pending' (the status column predates it) with submitting = 1.
  if (stmt.Int(16) != 0) s.state = SweepState::kSubmitting;
  return s;
}

const char kTrialColumns[] =
    "id, sweep_id, ordinal, config_json, config_hash, status, attempts, lease_token, "
    "lease_deadline_ms, worker_id, reused_from_trial_id, best_metric, last_metric, best_epoch, "
    "error, created_ms, updated_ms, started_ms, finished_ms";

TrialRecord ReadTrialRow(const sqlite::Stmt& stmt) {
  TrialRecord t;
  t.id = stmt.Int64(0);
  t.sweep_id = stmt.Int64(1);
  t.ordinal = stmt.Int(2);
  t.config_json = stmt.Text(3);
  t.config_hash = stmt.Text(4);
  t.state = ParseTrialState(stmt.Text(5)).value_or(TrialState::kQueued);
  t.attempts = stmt.Int(6);
  t.lease_token = stmt.Text(7);
  t.lease_deadline_ms = stmt.OptInt64(8);
  t.worker_id = stmt.Text(9);
  t.reused_from_trial_id = stmt.OptInt64(10);
  t.best_metric = stmt.OptDouble(11);
  t.last_metric = stmt.OptDouble(12);
  t.best_epoch = stmt.OptInt(13);
  t.error = stmt.Text(14);
  t.created_ms = stmt.Int64(15);
  t.updated_ms = stmt.Int64(16);
  t.started_ms = stmt.OptInt64(17);
  t.finished_ms = stmt.OptInt64(18);
  return t;
}

StatusOr<TrialCounts> ReadTrialCounts(sqlite::Db* db, int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT status, trials, epochs FROM sweep_trial_counts WHERE sweep_id = ?"));
  stmt.Bind(sweep_id);
  TrialCounts counts;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    auto status = ParseTrialState(stmt.Text(0));
    if (!status) continue;
    counts.at(*status) += stmt.Int(1);
    counts.epochs_at(*status) += stmt.Int64(2);
  }
  return counts;
}

StatusOr<std::optional<SweepRecord>> ReadSweep(sqlite::Db* db, int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare(std::string("SELECT ") + kSweepColumns + " FROM sweeps WHERE id = ?"));
  stmt.Bind(sweep_id);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<SweepRecord>();
  return std::optional<SweepRecord>(ReadSweepRow(stmt));
}

StatusOr<std::optional<TrialRecord>> ReadTrial(sqlite::Db* db, int64_t trial_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare(std::string("SELECT ") + kTrialColumns + " FROM trials WHERE id = ?"));
  stmt.Bind(trial_id);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<TrialRecord>();
  return std::optional<TrialRecord>(ReadTrialRow(stmt));
}

StatusOr<std::vector<TrialRecord>> ReadSweepTrials(sqlite::Db* db, int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare(std::string("SELECT ") + kTrialColumns +
                  " FROM trials WHERE sweep_id = ? ORDER BY ordinal"));
  stmt.Bind(sweep_id);
  std::vector<TrialRecord> trials;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    trials.push_back(ReadTrialRow(stmt));
  }
  return trials;
}

StatusOr<std::vector<AttemptRecord>> ReadAttempts(sqlite::Db* db, int64_t trial_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT trial_id, attempt, worker_id, lease_token, status, exit_code, error, "
                  "started_ms, ended_ms, outcome, used_try, threads, blas, blas_threads, device "
                  "FROM attempts WHERE trial_id = ? "
                  "ORDER BY attempt"));
  stmt.Bind(trial_id);
  std::vector<AttemptRecord> attempts;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    AttemptRecord a;
    a.trial_id = stmt.Int64(0);
    a.attempt = stmt.Int(1);
    a.worker_id = stmt.Text(2);
    a.lease_token = stmt.Text(3);
    a.state = ParseAttemptState(stmt.Text(4)).value_or(AttemptState::kRunning);
    a.exit_code = stmt.OptInt(5);
    a.error = stmt.Text(6);
    a.started_ms = stmt.Int64(7);
    a.ended_ms = stmt.OptInt64(8);
    a.outcome = stmt.Text(9);
    a.used_try = stmt.Int(10) != 0;
    if (stmt.OptInt(11) || !stmt.Text(14).empty()) {
      a.runtime = AttemptRuntime{stmt.OptInt(11).value_or(0), stmt.Text(12), stmt.OptInt(13).value_or(0),
                                 stmt.Text(14)};
    }
    attempts.push_back(std::move(a));
  }
  return attempts;
}

StatusOr<MetricsSource> ResolveMetricsSource(sqlite::Db* db, int64_t trial_id) {
  MetricsSource out;
  out.trial_id = trial_id;
  // Follow links (a linked trial's source is never linked itself, but be safe).
  for (int hops = 0;; ++hops) {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT status, reused_from_trial_id, attempts FROM trials WHERE id = ?"));
    stmt.Bind(out.trial_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFoundError("no trial " + std::to_string(out.trial_id));
    auto source = stmt.OptInt64(1);
    if (stmt.Text(0) == "linked" && source && hops < 8) {
      out.trial_id = *source;
      continue;
    }
    out.latest_attempt = stmt.Int(2);
    return out;
  }
}

Status ReadAttemptRows(sqlite::Db* db, TrialMetrics& out) {
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT epoch, name, value FROM metrics WHERE trial_id = ? AND attempt = ? "
                    "ORDER BY epoch, name"));
    stmt.Bind(out.source_trial_id, out.attempt);
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      out.metrics.push_back({stmt.Int(0), stmt.Text(1), stmt.Double(2)});
    }
  }
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT epoch, name, class_index, value FROM per_class_metrics "
                    "WHERE trial_id = ? AND attempt = ? ORDER BY epoch, name, class_index"));
    stmt.Bind(out.source_trial_id, out.attempt);
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      out.per_class.push_back({stmt.Int(0), stmt.Text(1), stmt.Int(2), stmt.Double(3)});
    }
  }
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT epoch, kind, json FROM trial_payloads "
                  "WHERE trial_id = ? AND attempt = ? ORDER BY epoch, kind"));
  stmt.Bind(out.source_trial_id, out.attempt);
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.payloads.push_back({stmt.Int(0), stmt.Text(1), stmt.Text(2)});
  }
  return Status::Ok();
}

}  // namespace ltsweep
