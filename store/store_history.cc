// Store: trial and sweep histories, the read path of the results commands
// and the report (store/store.h).
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/metric_history.h"
#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

// The attempts and merged metrics of `trial`, read inside the caller's
// transaction.
StatusOr<TrialHistory> ReadTrialHistory(sqlite::Db* db, TrialRecord trial) {
  TrialHistory h;
  LTSWEEP_ASSIGN_OR_RETURN(h.attempts, ReadAttempts(db, trial.id));
  LTSWEEP_ASSIGN_OR_RETURN(MetricsSource source, ResolveMetricsSource(db, trial.id));
  std::vector<TrialMetrics> per_attempt;
  for (int attempt = 1; attempt <= source.latest_attempt; ++attempt) {
    TrialMetrics m;
    m.trial_id = trial.id;
    m.source_trial_id = source.trial_id;
    m.attempt = attempt;
    LTSWEEP_RETURN_IF_ERROR(ReadAttemptRows(db, m));
    per_attempt.push_back(std::move(m));
  }
  h.metrics = MergeAttempts(per_attempt);
  h.metrics.source_trial_id = source.trial_id;
  h.trial = std::move(trial);
  return h;
}

}  // namespace

StatusOr<TrialHistory> Store::GetTrialHistory(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(rep_->mu);
  sqlite::Db* db = rep_->db.get();
  sqlite::Transaction txn(db, sqlite::Transaction::Kind::kRead);
  LTSWEEP_RETURN_IF_ERROR(txn.Begin());
  LTSWEEP_ASSIGN_OR_RETURN(std::optional<TrialRecord> trial, ReadTrial(db, trial_id));
  if (!trial) return NotFoundError("unknown trial " + std::to_string(trial_id) + " in " + path());
  LTSWEEP_ASSIGN_OR_RETURN(TrialHistory history, ReadTrialHistory(db, std::move(*trial)));
  LTSWEEP_RETURN_IF_ERROR(txn.Commit());
  return history;
}

StatusOr<SweepHistory> Store::GetSweepHistory(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(rep_->mu);
  sqlite::Db* db = rep_->db.get();
  sqlite::Transaction txn(db, sqlite::Transaction::Kind::kRead);
  LTSWEEP_RETURN_IF_ERROR(txn.Begin());
  LTSWEEP_ASSIGN_OR_RETURN(std::optional<SweepRecord> sweep, ReadSweep(db, sweep_id));
  if (!sweep) return NotFoundError("unknown sweep " + std::to_string(sweep_id) + " in " + path());
  SweepHistory out;
  out.sweep = std::move(*sweep);
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, ReadSweepTrials(db, sweep_id));
  for (TrialRecord& trial : trials) {
    LTSWEEP_ASSIGN_OR_RETURN(TrialHistory h, ReadTrialHistory(db, std::move(trial)));
    out.trials.push_back(std::move(h));
  }
  LTSWEEP_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace ltsweep
