#include "trainer/core/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "trainer/core/config_value.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

class ReferenceSchedule : public LrSchedule {
 public:
  explicit ReferenceSchedule(LrScheduleOptions o) : LrSchedule(std::move(o)) {}
  double LearningRate(int epoch, int, int) const override {
    const int e = epoch + 1;
    if (e <= options_.warmup_epochs) return (options_.lr * e) / options_.warmup_epochs;
    return options_.lr * MilestoneFactor(epoch);
  }
  bool PerIteration() const override { return false; }
};

class StepSchedule : public LrSchedule {
 public:
  explicit StepSchedule(LrScheduleOptions o) : LrSchedule(std::move(o)) {}
  double LearningRate(int epoch, int, int) const override { return options_.lr * MilestoneFactor(epoch); }
  bool PerIteration() const override { return false; }
};

class ConstantSchedule : public LrSchedule {
 public:
  explicit ConstantSchedule(LrScheduleOptions o) : LrSchedule(std::move(o)) {}
  double LearningRate(int, int, int) const override { return options_.lr; }
  bool PerIteration() const override { return false; }
};

class TriangularSchedule : public LrSchedule {
 public:
  explicit TriangularSchedule(LrScheduleOptions o) : LrSchedule(std::move(o)) {}
  double LearningRate(int epoch, int iter, int iters_per_epoch) const override {
    double t = static_cast<double>(epoch) * iters_per_epoch + iter;
    double f = MilestoneFactor(epoch);
    return TriangularLrSmith(t, options_.step_size, options_.min_lr * f, options_.max_lr * f);
  }
  bool PerIteration() const override { return true; }
};

class RangeTestSchedule : public LrSchedule {
 public:
  explicit RangeTestSchedule(LrScheduleOptions o) : LrSchedule(std::move(o)) {}
  double LearningRate(int epoch, int iter, int iters_per_epoch) const override {
    double total = static_cast<double>(options_.epochs) * iters_per_epoch;
    if (total <= 1) return options_.min_lr;
    double t = static_cast<double>(epoch) * iters_per_epoch + iter;
    double frac = std::clamp(t / (total - 1), 0.0, 1.0);
    return options_.min_lr + (options_.max_lr - options_.min_lr) * frac;
  }
  bool PerIteration() const override { return true; }
};

std::vector<double> MovingAverage(const std::vector<double>& v, size_t width) {
  std::vector<double> out(v.size());
  size_t half = width / 2;
  for (size_t i = 0; i < v.size(); ++i) {
    size_t lo = i >= half ? i - half : 0;
    size_t hi = std::min(v.size() - 1, i + half);
    double sum = 0;
    for (size_t j = lo; j <= hi; ++j) sum += v[j];
    out[i] = sum / static_cast<double>(hi - lo + 1);
  }
  return out;
}

}  // namespace

LrScheduleOptions LrScheduleOptions::FromConfig(const nlohmann::json& config) {
  LrScheduleOptions o;
  o.lr = ConfigValue<double>(config, "train.lr");
  o.epochs = ConfigValue<int>(config, "train.epochs");
  o.type = ConfigValue<std::string>(config, "train.lr_schedule.type");
  o.warmup_epochs = ConfigValue<int>(config, "train.lr_schedule.warmup_epochs");
  o.milestones = ConfigValue<std::vector<int>>(config, "train.lr_schedule.milestones");
  o.gamma = ConfigValue<double>(config, "train.lr_schedule.gamma");
  o.min_lr = ConfigValue<double>(config, "train.lr_schedule.min_lr");
  o.max_lr = ConfigValue<double>(config, "train.lr_schedule.max_lr");
  o.step_size = ConfigValue<int>(config, "train.lr_schedule.step_size");
  return o;
}

double LrSchedule::MilestoneFactor(int epoch) const {
  double f = 1.0;
  for (int m : options_.milestones) {
    if (epoch >= m) f *= options_.gamma;
  }
  return f;
}

std::unique_ptr<LrSchedule> MakeLrSchedule(const LrScheduleOptions& o) {
  if (o.type == "reference") return std::make_unique<ReferenceSchedule>(o);
  if (o.type == "step") return std::make_unique<StepSchedule>(o);
  if (o.type == "constant") return std::make_unique<ConstantSchedule>(o);
  if (o.type == "triangular") return std::make_unique<TriangularSchedule>(o);
  if (o.type == "range_test") return std::make_unique<RangeTestSchedule>(o);
  throw ConfigError(fmt::format(
      "train.lr_schedule.type: unknown value '{}'; expected reference, step, constant, triangular or range_test",
      o.type));
}

double TriangularLrSmith(double t, double step_size, double min_lr, double max_lr) {
  double cycle = std::floor(1 + t / (2 * step_size));
  double x = std::fabs(t / step_size - 2 * cycle + 1);
  return min_lr + (max_lr - min_lr) * std::max(0.0, 1 - x);
}

double TriangularLrReportLiteral(double t, double step_size, double min_lr, double max_lr) {
  double cycle = std::floor((1 + t) / (2 * step_size));
  double x = std::fabs(t / step_size - 2 * cycle + 1);
  return min_lr + (max_lr - min_lr) * std::max(0.0, 1 - x);
}

SuggestedLrBounds SuggestLrBounds(const std::vector<RangeTestPoint>& series) {
  if (series.empty()) throw ConfigError("LR range test: no recorded steps to suggest bounds from");
  size_t width = std::max<size_t>(1, series.size() / 20);
  if (width % 2 == 0) ++width;
  std::vector<double> acc, loss;
  for (const auto& p : series) {
    acc.push_back(p.accuracy);
    loss.push_back(std::isfinite(p.loss) ? p.loss : std::numeric_limits<double>::max());
  }
  acc = MovingAverage(acc, width);
  loss = MovingAverage(loss, width);
  SuggestedLrBounds out;
  size_t peak = static_cast<size_t>(std::max_element(acc.begin(), acc.end()) - acc.begin());
  if (acc[peak] > acc[0] + 1e-9) {  // a real rise, not summation noise
    out.rule = "accuracy";
    out.max_lr = series[peak].lr;
    double threshold = acc[0] + 0.1 * (acc[peak] - acc[0]);
    out.min_lr = series[peak].lr;
    for (size_t i = 0; i <= peak; ++i) {
      if (acc[i] >= threshold) {
        out.min_lr = series[i].lr;
        break;
      }
    }
  } else {
    out.rule = "loss";
    size_t best = static_cast<size_t>(std::min_element(loss.begin(), loss.end()) - loss.begin());
    out.max_lr = series[best].lr;
    out.min_lr = out.max_lr / 10;
  }
  if (!(out.min_lr < out.max_lr)) {
    out.min_lr = out.max_lr / 4;
    out.rule += "+quarter";
  }
  return out;
}

nlohmann::json RangeTestCurveJson(const std::vector<RangeTestPoint>& series, size_t max_points) {
  const size_t n = series.size();
  const size_t keep = std::min(n, std::max<size_t>(2, max_points));
  nlohmann::json curve = nlohmann::json::array();
  for (size_t k = 0; k < keep; ++k) {
    const size_t i = keep <= 1 ? 0 : (k * (n - 1) + (keep - 1) / 2) / (keep - 1);
    const RangeTestPoint& p = series[i];
    curve.push_back({p.lr, std::isfinite(p.loss) ? nlohmann::json(p.loss) : nlohmann::json(nullptr), p.accuracy});
  }
  return curve;
}

}  // namespace ltsweep::trainer
