#include "trainer/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "trainer/errors.h"

namespace ltsweep::trainer {
namespace {

const nlohmann::json& Require(const nlohmann::json& config, const char* section, const char* key, const char* path) {
  const nlohmann::json* node = &config;
  for (const char* part : {section, key}) {
    if (!node->is_object() || !node->contains(part)) throw ConfigError(fmt::format("{}: missing", path));
    node = &(*node)[part];
  }
  return *node;
}

template <typename T>
T Get(const nlohmann::json& value, const char* path) {
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("{}: {}", path, e.what()));
  }
}

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
  o.lr = Get<double>(Require(config, "train", "lr", "train.lr"), "train.lr");
  o.epochs = Get<int>(Require(config, "train", "epochs", "train.epochs"), "train.epochs");
  const nlohmann::json& s = Require(config, "train", "lr_schedule", "train.lr_schedule");
  auto field = [&](const char* key) -> const nlohmann::json& {
    if (!s.is_object() || !s.contains(key)) throw ConfigError(fmt::format("train.lr_schedule.{}: missing", key));
    return s[key];
  };
  o.type = Get<std::string>(field("type"), "train.lr_schedule.type");
  o.warmup_epochs = Get<int>(field("warmup_epochs"), "train.lr_schedule.warmup_epochs");
  o.milestones = Get<std::vector<int>>(field("milestones"), "train.lr_schedule.milestones");
  o.gamma = Get<double>(field("gamma"), "train.lr_schedule.gamma");
  o.min_lr = Get<double>(field("min_lr"), "train.lr_schedule.min_lr");
  o.max_lr = Get<double>(field("max_lr"), "train.lr_schedule.max_lr");
  o.step_size = Get<int>(field("step_size"), "train.lr_schedule.step_size");
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
  if (o.min_lr > o.max_lr) throw ConfigError("train.lr_schedule.min_lr: must not exceed train.lr_schedule.max_lr");
  if (o.step_size < 1) throw ConfigError(fmt::format("train.lr_schedule.step_size: {} must be >= 1", o.step_size));
  if (o.warmup_epochs < 0) {
    throw ConfigError(fmt::format("train.lr_schedule.warmup_epochs: {} must be >= 0", o.warmup_epochs));
  }
  for (size_t i = 1; i < o.milestones.size(); ++i) {
    if (o.milestones[i] <= o.milestones[i - 1]) {
      throw ConfigError("train.lr_schedule.milestones: must be strictly increasing");
    }
  }
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

}  // namespace ltsweep::trainer
