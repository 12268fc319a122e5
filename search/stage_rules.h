// Stage rules: the two read-outs of the reproduction report's tuning scheme
// (§6.3.3, §6.3.5) that a staged sweep (`stages:`, spec/stages.h) runs on a
// finished stage's learning curve to fill in the next stage's config.
//
//   LR range test (FindLrBounds): the learning rates where the accuracy
//   starts to rise and where it falls apart, from a run whose lr rises
//   linearly (train.lr_schedule.type range_test). Read on the trainer's
//   per-step curve (training-batch accuracy, FindLrBoundsPerStep) when the
//   trial's done event carries one, else on one validation point per
//   evaluated epoch.
//
//   Plateau (FindPlateau): from a constant-lr run, the epoch after which the
//   training loss still falls but the validation error no longer does: the
//   DRW transition epoch and the step milestones.
//
// The exact rules, their smoothing and thresholds are written out below and
// in docs/sweep-spec.md ("Staged sweeps"). A rule that finds nothing returns
// FAILED_PRECONDITION with the reason (the staged sweep fails with it).
//
// Ownership: plain values. Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/config_schema.h"
#include "common/status.h"

namespace ltsweep::search {

// One point of an LR range test. Per epoch: the lr the epoch ended with and
// the validation accuracy (1 - val_error) after it. Per step: the step's lr,
// training-batch accuracy and loss (`epoch` then holds the step's index in
// the curve). A non-finite accuracy (diverged) counts as 0.
struct RangePoint {
  int epoch = 0;
  double lr = 0;
  double accuracy = 0;
  double loss = 0;  // val_loss, for the report's curve only (NaN when absent)
};

struct LrBoundsOptions {
  // Centred moving average over this many points (odd, >= 1); 0: automatic,
  // 3 on the per-epoch curve, PerStepSmoothWindow(n) on a per-step curve.
  int smooth = 0;
  double rise = 0.1;         // min_lr: first point at a0 + rise * (peak - a0)
  double fall = 0.1;         // max_lr: last point from the peak on at >= peak - fall * (peak - a0)
  double min_signal = 0.02;  // peak - a0 below this: no signal, nothing found
};

struct LrBounds {
  double min_lr = 0;
  double max_lr = 0;
  // The evidence: smoothed accuracy at the start and at the peak, the
  // points chosen, and whether the accuracy fell at all in the range.
  double start_accuracy = 0;
  double peak_accuracy = 0;
  double peak_lr = 0;
  int min_index = 0;
  int max_index = 0;
  bool fell = false;  // false: still within `fall` of the peak at the range's end (max_lr = last lr)
  std::vector<double> smoothed;
  std::string rule;  // one line: what was compared with what
  std::string curve = "per_epoch";  // which curve was read: per_epoch | per_step
  int smooth = 0;                   // the moving-average window used
};

// Points in order of rising lr (at least 3). See the header comment and
// LrBoundsOptions for the rule.
StatusOr<LrBounds> FindLrBounds(const std::vector<RangePoint>& points, const LrBoundsOptions& options = {});

// The window for a per-step curve of n points: max(3, n / 20), made odd
// (one batch's accuracy is far noisier than one epoch's validation accuracy;
// 240 steps -> 13, 1000 -> 51).
int PerStepSmoothWindow(size_t n);

// The same rule (rise, fall of `options`) on a per-step curve in step
// order, smoothed over options.smooth points when given, else
// PerStepSmoothWindow(steps.size()); LrBounds::curve is "per_step". Needs at least 3 steps.
// No signal: a rise below max(min_signal, 5 x the moving average's noise),
// the noise being the rms of the raw points about the average / sqrt(window)
// (batch accuracy is noisy enough that a flat curve's smoothed maximum
// clears min_signal alone).
StatusOr<LrBounds> FindLrBoundsPerStep(const std::vector<RangePoint>& steps, const LrBoundsOptions& options = {});

// One epoch of a constant-lr run.
struct CurvePoint {
  int epoch = 0;
  double train_loss = 0;
  double val_error = 0;
};

struct PlateauOptions {
  int window = 3;           // epochs after the candidate that must bring no improvement
  double min_delta = 0.005; // an improvement of val_error smaller than this does not count
  int min_epoch = 1;        // the earliest epoch that may be the last improving one
};

struct Plateau {
  int last_improving_epoch = 0;  // e: best val_error so far, not beaten within window
  int drw_epoch = 0;             // e + 1: DRW/the first lr drop from here on
  std::vector<int> milestones;   // {e + 1, second drop} (see FindPlateau)
  double best_val_error = 0;     // at e
  double window_best = 0;        // best val_error in e+1 .. e+window
  double train_loss_at = 0;      // at e
  double train_loss_window = 0;  // mean over e+1 .. e+window
  std::string rule;              // one line: what was compared with what
};

// Epochs in order. The rule: the first epoch e >= min_epoch with
//   min(val_error[e+1 .. e+window]) > best(val_error[0 .. e]) - min_delta
//     (validation error no longer improves), and
//   mean(train_loss[e+1 .. e+window]) < train_loss[e]
//     (training loss still falls),
// and e + window <= the last epoch. drw_epoch = e + 1; milestones = {e + 1,
// e + 1 + ceil((run_epochs - e - 1) / 2)} (the second drop halfway to the
// end, the reference's 160/180 of 200), the second left out when it would
// not be before run_epochs. `run_epochs`: train.epochs of the run.
StatusOr<Plateau> FindPlateau(const std::vector<CurvePoint>& curve, int run_epochs, const PlateauOptions& options = {});

// The found values as JSON: {"min_lr":..,"max_lr":..} and {"drw_epoch":..,
// "epoch":.., "milestones":[..]}; and the evidence (every number the rule
// compared, plus the curve).
Json LrBoundsValues(const LrBounds& b);
Json LrBoundsEvidence(const LrBounds& b, const std::vector<RangePoint>& points);
Json PlateauValues(const Plateau& p);
Json PlateauEvidence(const Plateau& p, const std::vector<CurvePoint>& curve);

}  // namespace ltsweep::search
