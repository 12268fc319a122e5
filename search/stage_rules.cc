#include "search/stage_rules.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace ltsweep::search {

namespace {

// Centred moving average; the window shrinks at the ends.
std::vector<double> Smooth(const std::vector<double>& v, int width) {
  const int half = std::max(0, width / 2);
  const int n = static_cast<int>(v.size());
  std::vector<double> out(v.size());
  for (int i = 0; i < n; ++i) {
    const int lo = std::max(0, i - half), hi = std::min(n - 1, i + half);
    double sum = 0;
    for (int j = lo; j <= hi; ++j) sum += v[static_cast<size_t>(j)];
    out[static_cast<size_t>(i)] = sum / (hi - lo + 1);
  }
  return out;
}

Json NumOrNull(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// A per-step curve's no-signal bar: the rise must also exceed this many
// times the moving average's own noise (a noisy flat curve's smoothed
// maximum sits ~2-3 of these above its start).
constexpr double kNoiseFactor = 5;

// The noise left in a moving average over `width` points: the rms of the
// raw points about it, / sqrt(width).
double SmoothedNoise(const std::vector<double>& raw, const std::vector<double>& smoothed, int width) {
  double sum = 0;
  for (size_t i = 0; i < raw.size(); ++i) sum += (raw[i] - smoothed[i]) * (raw[i] - smoothed[i]);
  return std::sqrt(sum / static_cast<double>(std::max<size_t>(1, raw.size()))) / std::sqrt(std::max(1, width));
}

// The rule on `points` (at least 3), smoothed over o.smooth; `curve` names
// the curve read (LrBounds::curve).
StatusOr<LrBounds> FindLrBoundsOn(const std::vector<RangePoint>& points, const LrBoundsOptions& o,
                                  const std::string& curve) {
  std::vector<double> acc;
  for (const RangePoint& p : points) acc.push_back(std::isfinite(p.accuracy) ? p.accuracy : 0.0);
  LrBounds b;
  b.curve = curve;
  b.smooth = o.smooth;
  b.smoothed = Smooth(acc, o.smooth);
  const std::vector<double>& s = b.smoothed;
  const size_t peak = static_cast<size_t>(std::max_element(s.begin(), s.end()) - s.begin());
  b.start_accuracy = s[0];
  b.peak_accuracy = s[peak];
  b.peak_lr = points[peak].lr;
  const double gain = s[peak] - s[0];
  const double needed = curve == "per_step" ? std::max(o.min_signal, kNoiseFactor * SmoothedNoise(acc, s, o.smooth))
                                            : o.min_signal;
  if (gain < needed) {
    return FailedPreconditionError(fmt::format(
        "LR range test: no signal: the smoothed {} accuracy rose by {:.4f} (from {:.4f} to a peak of "
        "{:.4f} at lr {:.4g}), less than {:.4f}{}; widen the lr range or run more epochs",
        curve == "per_step" ? "per-step training-batch" : "validation", gain, s[0], s[peak], points[peak].lr,
        needed, needed > o.min_signal ? fmt::format(" ({} x the moving average's noise)", kNoiseFactor) : ""));
  }
  const double rise_at = s[0] + o.rise * gain;
  b.min_index = static_cast<int>(peak);
  for (size_t i = 0; i <= peak; ++i) {
    if (s[i] >= rise_at) {
      b.min_index = static_cast<int>(i);
      break;
    }
  }
  const double fall_at = s[peak] - o.fall * gain;
  b.max_index = static_cast<int>(points.size()) - 1;
  for (size_t i = peak; i < points.size(); ++i) {
    if (s[i] < fall_at) {
      b.max_index = static_cast<int>(i) - 1;
      b.fell = true;
      break;
    }
  }
  b.min_lr = points[static_cast<size_t>(b.min_index)].lr;
  b.max_lr = points[static_cast<size_t>(b.max_index)].lr;
  std::string fallback;
  if (!(b.min_lr < b.max_lr)) {
    b.min_lr = b.max_lr / 4;
    fallback = "; min_lr would not be below max_lr, so min_lr = max_lr / 4";
  }
  b.rule = fmt::format(
      "{}, {} points, moving average over {}: smoothed accuracy {:.4f} at the start, peak {:.4f} at lr "
      "{:.4g}; min_lr = first lr at >= {:.4f} (start + {} x rise) = {:.4g}; max_lr = {} = {:.4g}{}",
      b.curve == "per_step" ? "per-step training-batch accuracy" : "per-epoch validation accuracy", points.size(),
      o.smooth, s[0], s[peak], b.peak_lr, rise_at, o.rise, b.min_lr,
      b.fell ? fmt::format("last lr before the accuracy fell below {:.4f} (peak - {} x rise)", fall_at, o.fall)
             : fmt::format("the range's last lr (the accuracy never fell below {:.4f})", fall_at),
      b.max_lr, fallback);
  return b;
}

}  // namespace

StatusOr<LrBounds> FindLrBounds(const std::vector<RangePoint>& points, const LrBoundsOptions& o) {
  if (points.size() < 3) {
    return FailedPreconditionError(fmt::format("LR range test: {} evaluated epoch(s); the rule needs at least 3 "
                                               "(raise train.epochs of the range-test stage)",
                                               points.size()));
  }
  LrBoundsOptions epoch_options = o;
  if (epoch_options.smooth <= 0) epoch_options.smooth = 3;
  return FindLrBoundsOn(points, epoch_options, "per_epoch");
}

int PerStepSmoothWindow(size_t n) {
  const int w = std::max(3, static_cast<int>(n / 20));
  return w % 2 == 0 ? w + 1 : w;
}

StatusOr<LrBounds> FindLrBoundsPerStep(const std::vector<RangePoint>& steps, const LrBoundsOptions& options) {
  if (steps.size() < 3) {
    return FailedPreconditionError(
        fmt::format("LR range test: the per-step curve has {} point(s); the rule needs at least 3", steps.size()));
  }
  LrBoundsOptions o = options;
  if (o.smooth <= 0) o.smooth = PerStepSmoothWindow(steps.size());
  return FindLrBoundsOn(steps, o, "per_step");
}

StatusOr<Plateau> FindPlateau(const std::vector<CurvePoint>& curve, int run_epochs, const PlateauOptions& o) {
  const int n = static_cast<int>(curve.size());
  double best = std::numeric_limits<double>::infinity();
  for (int e = 0; e + o.window < n; ++e) {
    const CurvePoint& here = curve[static_cast<size_t>(e)];
    if (std::isfinite(here.val_error)) best = std::min(best, here.val_error);
    if (e < o.min_epoch || !std::isfinite(here.val_error) || here.val_error > best) continue;  // e must hold the best so far
    double window_best = std::numeric_limits<double>::infinity(), loss_sum = 0;
    bool finite = true;
    for (int j = e + 1; j <= e + o.window; ++j) {
      const CurvePoint& p = curve[static_cast<size_t>(j)];
      if (std::isfinite(p.val_error)) window_best = std::min(window_best, p.val_error);
      finite = finite && std::isfinite(p.train_loss);
      loss_sum += p.train_loss;
    }
    const double loss_mean = loss_sum / o.window;
    const bool val_flat = window_best > best - o.min_delta;
    const bool loss_falls = finite && std::isfinite(here.train_loss) && loss_mean < here.train_loss;
    if (!val_flat || !loss_falls) continue;
    Plateau p;
    p.last_improving_epoch = here.epoch;
    p.drw_epoch = here.epoch + 1;
    p.milestones = {p.drw_epoch};
    const int second = p.drw_epoch + (run_epochs - p.drw_epoch + 1) / 2;
    if (second > p.drw_epoch && second < run_epochs) p.milestones.push_back(second);
    p.best_val_error = best;
    p.window_best = window_best;
    p.train_loss_at = here.train_loss;
    p.train_loss_window = loss_mean;
    p.rule = fmt::format(
        "val_error {:.4f} at epoch {} (best so far) not beaten by {} within epochs {}..{} (best there {:.4f}), "
        "while train_loss fell from {:.4f} to a mean of {:.4f}: DRW and the first drop at epoch {}",
        best, here.epoch, o.min_delta, here.epoch + 1, here.epoch + o.window, window_best, here.train_loss,
        loss_mean, p.drw_epoch);
    return p;
  }
  return FailedPreconditionError(fmt::format(
      "plateau: no epoch among {} where the validation error stopped improving (by {} over the next {} epochs) "
      "while the training loss still fell; run the plateau stage longer or raise its lr",
      n, o.min_delta, o.window));
}

Json LrBoundsValues(const LrBounds& b) { return Json{{"min_lr", b.min_lr}, {"max_lr", b.max_lr}}; }

Json LrBoundsEvidence(const LrBounds& b, const std::vector<RangePoint>& points) {
  Json curve = Json::array();
  for (size_t i = 0; i < points.size(); ++i) {
    curve.push_back({{"epoch", points[i].epoch},
                     {"lr", points[i].lr},
                     {"accuracy", NumOrNull(points[i].accuracy)},
                     {"smoothed", b.smoothed[i]},
                     {"loss", NumOrNull(points[i].loss)}});
  }
  return Json{{"rule", b.rule},          {"start_accuracy", b.start_accuracy},
              {"peak_accuracy", b.peak_accuracy}, {"peak_lr", b.peak_lr},
              {"min_epoch", points[static_cast<size_t>(b.min_index)].epoch},
              {"max_epoch", points[static_cast<size_t>(b.max_index)].epoch},
              {"fell", b.fell},          {"curve", curve},
              {"curve_kind", b.curve},   {"smooth", b.smooth}};
}

Json PlateauValues(const Plateau& p) {
  return Json{{"drw_epoch", p.drw_epoch}, {"epoch", p.last_improving_epoch}, {"milestones", p.milestones}};
}

Json PlateauEvidence(const Plateau& p, const std::vector<CurvePoint>& curve) {
  Json points = Json::array();
  for (const CurvePoint& c : curve) {
    points.push_back({{"epoch", c.epoch}, {"train_loss", NumOrNull(c.train_loss)}, {"val_error", NumOrNull(c.val_error)}});
  }
  return Json{{"rule", p.rule},
              {"best_val_error", p.best_val_error},
              {"window_best", p.window_best},
              {"train_loss_at", p.train_loss_at},
              {"train_loss_window", p.train_loss_window},
              {"curve", points}};
}

}  // namespace ltsweep::search
