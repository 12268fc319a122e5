// Early termination of trials: the pure rules that decide, from learning
// curves, whether a running trial should carry on or be stopped.
//
// Two rules, selected by the sweep spec's `early_terminate.type`:
//
//   hyperband  Asynchronous successive halving (ASHA) with the rungs of
//              W&B's hyperband: rungs at min_iter * eta^k epochs below
//              max_iter (max_iter defaults to train.epochs), or, given
//              max_iter and s, at max_iter / eta^i for i = 1..s. When a trial
//              reaches a rung it is compared with every trial that has
//              reached that rung so far (asynchronous: later arrivals are
//              judged against more trials); it carries on only while it is
//              in the top max(1, floor(n / eta)) of those n trials.
//   median     Optuna's MedianPruner: from min_iter epochs on, a trial whose
//              best value so far is worse than the median of the other
//              trials' values at the same epoch is stopped.
//
// Both respect deferred re-balancing (DRW/DRS): with respect_drw (the
// default), a trial whose config sets method.defer to drw or drs is never
// stopped before it has trained method.drw_epoch + drw_grace epochs, since
// its error drops sharply once re-weighting starts. The rule still says what
// it would have done (Decision::guarded).
//
// Epochs. Curves are keyed by the epoch index the trainer reports (0-based,
// as stored in the metrics table). The rule's own numbers -- rungs,
// min_iter, max_iter, drw_epoch + drw_grace -- count epochs trained, so the
// value reported for epoch index e is the value after e + 1 epochs; a rung
// at 3 epochs is judged on the value of epoch index 2.
//
// Everything here is a pure function of its arguments: no clock, no I/O,
// no randomness; the same curves give the same decision. The coordinator
// calls Decide() when an epoch's metrics arrive; bench/search_replay replays
// recorded curves through the same functions.
//
// Ownership: plain values. Thread-safety: pure functions; values may be
// shared read-only between threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config_schema.h"
#include "common/status.h"

namespace ltsweep::search {

enum class EarlyStopType { kHyperband, kMedian };
enum class MetricGoal { kMinimize, kMaximize };

const char* EarlyStopTypeName(EarlyStopType type);  // "hyperband", "median"
std::optional<EarlyStopType> ParseEarlyStopType(const std::string& name);

// A resolved early-termination rule (the spec's early_terminate section
// with the sweep's metric goal and train.epochs filled in).
struct EarlyStopRule {
  EarlyStopType type = EarlyStopType::kHyperband;
  MetricGoal goal = MetricGoal::kMinimize;
  // hyperband: the first rung; median: no stop before this many epochs.
  // 0 for hyperband means "rungs from max_iter and s".
  int64_t min_iter = 0;
  // The epochs a trial trains when not stopped (train.epochs by default).
  // No trial is judged at or past it: stopping then saves nothing.
  int64_t max_iter = 0;
  // hyperband from max_iter: the number of rungs below max_iter (W&B's s).
  int64_t s = 0;
  double eta = 3;  // > 1: the top 1/eta of a rung carries on
  // false: a trial's value at a rung is its best so far (lenient, W&B's
  // default); true: its value at the rung itself.
  bool strict = false;
  bool respect_drw = true;  // the DRW/DRS guard
  int64_t drw_grace = 2;    // epochs after method.drw_epoch the guard lasts
  // median: fewer other trials with a value at the epoch than this: no
  // judgement.
  int min_others = 1;
};

// INVALID_ARGUMENT naming the spec key at fault ("early_terminate.eta: must
// be greater than 1", "early_terminate.min_iter: 40 is not below max_iter
// (train.epochs) 30", ...) when the rule cannot be run.
Status ValidateRule(const EarlyStopRule& rule);

// The hyperband rung epochs (epochs trained), ascending, all below
// max_iter; empty for the median rule. Call on a validated rule.
std::vector<int64_t> Rungs(const EarlyStopRule& rule);

// One line for `ltsweep validate`: "hyperband (ASHA): rungs at 1, 3, 9 of
// 30 epochs; the top 1/3 of each rung carries on; DRW guard 2 epochs".
std::string DescribeRule(const EarlyStopRule& rule);

// The rule as stored with a sweep, and back. RuleFromJson validates.
Json RuleToJson(const EarlyStopRule& rule);
StatusOr<EarlyStopRule> RuleFromJson(const Json& json);

// One trial's learning curve of the sweep's metric.
struct TrialCurve {
  int64_t trial_id = 0;
  std::map<int64_t, double> values;  // epoch index (0-based) -> value; NaN allowed
  // Set when the trial defers re-balancing (method.defer drw or drs): the
  // 0-based epoch at which it switches on (method.drw_epoch).
  std::optional<int64_t> drw_epoch;
};

// method.drw_epoch when `config` (a resolved trial config) sets method.defer
// to drw or drs; nullopt otherwise.
std::optional<int64_t> DeferredRebalanceEpoch(const Json& config);

enum class Verdict { kContinue, kStop };
const char* VerdictName(Verdict v);  // "continue", "stop"

struct Decision {
  // False when no rule applies at this epoch (no rung crossed, before
  // min_iter, a replayed epoch, too few trials to compare with): nothing to
  // record, the trial carries on.
  bool judged = false;
  Verdict verdict = Verdict::kContinue;
  int64_t epoch = 0;       // the epoch index judged
  int rung = -1;           // hyperband: index into Rungs(); -1 for median
  int64_t rung_epochs = 0; // hyperband: the rung (epochs trained); median: epoch + 1
  double value = 0;        // the trial's value that was compared
  double threshold = 0;    // the cut-off it was compared with (k-th best, median)
  int compared = 0;        // trials in the comparison (hyperband: with itself)
  int keep = 0;            // hyperband: how many of them carry on
  // The rule said stop, but the DRW guard kept the trial (verdict continue).
  bool guarded = false;
  // One line: what was compared with what, e.g. "rung 1 (3 epochs): 0.4120
  // ranks 4 of 6; the top 2 carry on (cut-off 0.3310)".
  std::string summary;
};

// Judges `trial` after its epoch `epoch` has been reported. `trial.values`
// holds its curve so far (epoch included); `others` the curves of the other
// trials of the sweep (any state; the trial itself may appear and is then
// skipped). Only the newest epoch of the trial is judged (a re-sent or
// replayed older epoch gives judged = false). NaN values rank last.
Decision Decide(const EarlyStopRule& rule, const TrialCurve& trial, int64_t epoch,
                const std::vector<TrialCurve>& others);

// Cheap pre-check for callers that must read the other curves first: false
// when Decide() cannot judge at `epoch` whatever the curves (before the
// first rung or min_iter, or at/after max_iter).
bool MayJudgeAt(const EarlyStopRule& rule, int64_t epoch);

}  // namespace ltsweep::search
