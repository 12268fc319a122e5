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

namespace {

// The bodies of the read queries below, each run inside one read
// transaction (Rep::Read).

StatusOr<TrialHistory> GetTrialHistoryTxn(sqlite::Db* db, int64_t trial_id) {
  LTSWEEP_ASSIGN_OR_RETURN(std::optional<TrialRecord> trial, ReadTrial(db, trial_id));
  if (!trial) {
    return NotFoundError("unknown trial " + std::to_string(trial_id) + " in " + db->path());
  }
  LTSWEEP_ASSIGN_OR_RETURN(TrialHistory history, ReadTrialHistory(db, std::move(*trial)));
  LTSWEEP_ASSIGN_OR_RETURN(history.early_stop, ReadEarlyStopDecisions(db, trial_id));
  return history;
}

StatusOr<SweepHistory> GetSweepHistoryTxn(sqlite::Db* db, int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(std::optional<SweepRecord> sweep, ReadSweep(db, sweep_id));
  if (!sweep) {
    return NotFoundError("unknown sweep " + std::to_string(sweep_id) + " in " + db->path());
  }
  SweepHistory out;
  out.sweep = std::move(*sweep);
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, ReadSweepTrials(db, sweep_id));
  for (TrialRecord& trial : trials) {
    LTSWEEP_ASSIGN_OR_RETURN(TrialHistory h, ReadTrialHistory(db, std::move(trial)));
    out.trials.push_back(std::move(h));
  }
  LTSWEEP_ASSIGN_OR_RETURN(out.stages, ReadStages(db, sweep_id));
  return out;
}

}  // namespace

StatusOr<TrialHistory> Store::GetTrialHistory(int64_t trial_id) {
  return rep_->Read<TrialHistory>([&](sqlite::Db* db) { return GetTrialHistoryTxn(db, trial_id); });
}

StatusOr<SweepHistory> Store::GetSweepHistory(int64_t sweep_id) {
  return rep_->Read<SweepHistory>([&](sqlite::Db* db) { return GetSweepHistoryTxn(db, sweep_id); });
}

}  // namespace ltsweep
