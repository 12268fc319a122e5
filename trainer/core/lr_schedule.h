// Learning-rate schedules, evaluated per iteration (ALGORITHMS.md §5 and §7).
//
//   reference   the LDAM-DRW script: epoch-granular linear warm-up
//               (lr * e) / warmup_epochs with e = epoch + 1 for e <= warmup_epochs,
//               then lr * gamma^k after the k-th milestone (k = number of
//               milestones <= epoch; both drops relative to the base lr).
//   step        lr * gamma^k, no warm-up.
//   constant    lr.
//   triangular  Smith (2017): t = epoch * iters_per_epoch + iter (global
//               iteration), cycle = floor(1 + t / (2 * step_size)),
//               x = |t / step_size - 2 * cycle + 1|,
//               lr = min + (max - min) * max(0, 1 - x); min and max are
//               multiplied by gamma^k after the k-th milestone, so the cycle
//               keeps running through DRW's second stage at lower bounds.
//   range_test  lr rises linearly from min_lr (first iteration) to max_lr
//               (last iteration of the run, epochs * iters_per_epoch).
//
// Options come from the resolved config keys train.lr, train.epochs and
// train.lr_schedule.{type, warmup_epochs, milestones, gamma, min_lr, max_lr,
// step_size} (common/config_schema.cc documents their defaults).
//
// Thread-safety: schedules are immutable after construction; LearningRate() is
// const and safe to call from any thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config_schema.h"

namespace ltsweep::trainer {

// Fields start at the schema's defaults (common/config_schema.cc).
struct LrScheduleOptions {
  // reference | step | constant | triangular | range_test
  std::string type = SchemaDefault<std::string>("train.lr_schedule.type");
  double lr = SchemaDefault<double>("train.lr");   // base lr (reference, step, constant)
  int epochs = SchemaDefault<int>("train.epochs");  // range_test length
  // reference: epochs of linear warm-up (0 = none)
  int warmup_epochs = SchemaDefault<int>("train.lr_schedule.warmup_epochs");
  // 0-based epochs at which gamma applies, strictly increasing
  std::vector<int> milestones = SchemaDefault<std::vector<int>>("train.lr_schedule.milestones");
  double gamma = SchemaDefault<double>("train.lr_schedule.gamma");    // factor per milestone, compounding
  double min_lr = SchemaDefault<double>("train.lr_schedule.min_lr");  // triangular, range_test
  double max_lr = SchemaDefault<double>("train.lr_schedule.max_lr");  // triangular, range_test
  int step_size = SchemaDefault<int>("train.lr_schedule.step_size");  // triangular: iterations per half cycle

  // Reads the keys above from a resolved trial config (ResolveTrialConfig's
  // output, whose schema has checked them). Throws ConfigError naming a
  // missing key.
  static LrScheduleOptions FromConfig(const nlohmann::json& resolved_config);
};

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  // The learning rate of iteration `iter_in_epoch` (0-based) of epoch `epoch`
  // (0-based), for an epoch of `iters_per_epoch` iterations.
  virtual double LearningRate(int epoch, int iter_in_epoch, int iters_per_epoch) const = 0;
  // True when the rate can change inside an epoch (triangular, range_test):
  // the loop must then set it before every step, not once per epoch.
  virtual bool PerIteration() const = 0;
  // gamma^k: the factor applied after the k-th milestone for this epoch.
  double MilestoneFactor(int epoch) const;

 protected:
  explicit LrSchedule(LrScheduleOptions options) : options_(std::move(options)) {}
  LrScheduleOptions options_;
};

// Builds the schedule named by options.type; throws ConfigError for an
// unknown type. The options are those of a resolved config: the schema checks
// min_lr <= max_lr, step_size >= 1, warmup_epochs >= 0 and increasing
// milestones.
std::unique_ptr<LrSchedule> MakeLrSchedule(const LrScheduleOptions& options);

// Smith's triangular rate at (real) iteration t; the 1 is outside the fraction.
double TriangularLrSmith(double t, double step_size, double min_lr, double max_lr);
// The reproduction report's formula as printed, cycle = floor((1 + t) / (2 *
// step_size)): degenerate (min_lr except at t = 9 mod 10 for step_size 5).
// Kept only to document that; no schedule uses it.
double TriangularLrReportLiteral(double t, double step_size, double min_lr, double max_lr);

// One recorded step of an LR range test.
struct RangeTestPoint {
  double lr = 0;
  double loss = 0;
  double accuracy = 0;  // training-batch accuracy in [0, 1]
};

struct SuggestedLrBounds {
  double min_lr = 0;
  double max_lr = 0;
  std::string rule;  // which rule produced the bounds, for the log
};

// Suggests triangular bounds from a range test (Smith 2017, §3.3). The series
// is smoothed with a centred moving average of width max(1, n / 20) (odd).
// Rule "accuracy": max_lr = lr at the peak of the smoothed accuracy (first
// peak); min_lr = the first lr at which the smoothed accuracy has climbed 10% of
// the way from its first value to that peak. If the smoothed accuracy never rises above
// its first value (by more than 1e-9), rule "loss": max_lr = lr at the minimum of the smoothed
// loss, min_lr = max_lr / 10. If min_lr would not be below max_lr, min_lr =
// max_lr / 4 (Smith's rule of thumb). Throws ConfigError for an empty series.
SuggestedLrBounds SuggestLrBounds(const std::vector<RangeTestPoint>& series);

// The per-step curve for a range test's done event (the trainer contract's
// "range_test_curve"): [[lr, loss, accuracy], ...] in step order, evenly
// subsampled to at most `max_points` (>= 2) with the first and last step
// kept; a non-finite loss is null.
nlohmann::json RangeTestCurveJson(const std::vector<RangeTestPoint>& series, size_t max_points);

}  // namespace ltsweep::trainer
