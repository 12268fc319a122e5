// EarlyStopJudge: runs a sweep's early-termination rule (search/early_stop.h)
// when a trial's metrics arrive, records the verdict in the store, and says
// whether the trial must stop.
//
// The hot path stays cheap: a sweep without early_terminate costs one
// cache lookup per report; a sweep with one reads the curves of its trials
// up to the reported epoch (one indexed query, Store::GetSweepCurves) only
// when the rule can judge at that epoch (search::MayJudgeAt), and writes only
// when it judged (Store::RecordEarlyStopAsync, fenced by the lease token).
// Only the newest epoch of a report is judged: when one report carries
// several epochs, the hyperband rule judges the highest rung they crossed
// and the median rule the newest epoch.
//
// A failure to read or record never fails the report: it is logged and the
// trial carries on.
//
// Ownership: borrows the Store (it outlives the judge). Caches only
// immutable facts (a sweep's rule and metric), one entry per sweep.
// Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/log.h"
#include "common/status.h"
#include "search/early_stop.h"
#include "store/store.h"

namespace ltsweep::coordinator {

class EarlyStopJudge {
 public:
  // `log` may be empty (no log lines).
  EarlyStopJudge(Store& store, LogFn log) : store_(store), log_(std::move(log)) {}

  // After a report of `trial_id` (its lease `token`) has committed whose
  // metric rows reach epoch `max_epoch` (-1: none): judges the trial and
  // calls `done(stop, reason)` -- at once when there is nothing to judge,
  // else once the decision is recorded (on a store thread). `sweep_id`: the
  // trial's sweep when the caller knows it (0: read from the store).
  void JudgeAsync(int64_t trial_id, int64_t sweep_id, const std::string& token, int64_t max_epoch,
                  std::function<void(bool stop, std::string reason)> done);

 private:
  struct SweepRule {
    std::optional<search::EarlyStopRule> rule;  // none: the sweep has no early_terminate
    std::string metric;
  };
  // The rule of the trial's sweep (cached: sweeps never change it).
  StatusOr<std::shared_ptr<const SweepRule>> RuleOf(int64_t trial_id, int64_t sweep_id);

  void Log(const std::string& line) const {
    if (log_) log_(line);
  }

  Store& store_;
  LogFn log_;
  std::mutex mu_;
  std::unordered_map<int64_t, std::shared_ptr<const SweepRule>> sweep_rules_;  // GUARDED_BY(mu_)
};

// The record of one judged decision about `trial_id` (store/types.h).
EarlyStopRecord ToEarlyStopRecord(int64_t trial_id, const search::Decision& decision);

}  // namespace ltsweep::coordinator
