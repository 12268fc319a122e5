#include "search/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace ltsweep::search::internal {
namespace {

constexpr double kLogFloor = -1e300;
constexpr double kMinMass = 1e-300;

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

bool IsGrid(const Dimension& dim) {
  return dim.kind == DimensionKind::kIntUniform || dim.kind == DimensionKind::kQUniform;
}

double Step(const Dimension& dim) { return dim.kind == DimensionKind::kIntUniform ? 1.0 : dim.q; }

// The first and last multiple of the step inside [low, high].
std::pair<double, double> GridBounds(const Dimension& dim) {
  const double q = Step(dim);
  return {std::ceil(dim.low / q - 1e-9), std::floor(dim.high / q + 1e-9)};
}

double LogSumExp(const std::vector<double>& terms) {
  double top = -std::numeric_limits<double>::infinity();
  for (double t : terms) top = std::max(top, t);
  if (!std::isfinite(top)) return kLogFloor;
  double sum = 0;
  for (double t : terms) sum += std::exp(t - top);
  return top + std::log(sum);
}

}  // namespace

double SearchRandom::Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double SearchRandom::Normal() {
  // Box-Muller; 1 - Unit() is in (0, 1], so the log is finite.
  const double u1 = 1.0 - Unit();
  const double u2 = Unit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

int64_t SearchRandom::Below(int64_t n) {
  const uint64_t range = static_cast<uint64_t>(n);
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % range;
  for (;;) {
    const uint64_t x = engine_();
    if (x < limit) return static_cast<int64_t>(x % range);
  }
}

size_t SearchRandom::Pick(const std::vector<double>& weights) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double target = Unit() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (target < weights[i]) return i;
    target -= weights[i];
  }
  return weights.size() - 1;
}

double Snap(const Dimension& dim, double value) {
  if (dim.kind == DimensionKind::kCategorical) {
    return std::clamp(std::round(value), 0.0, static_cast<double>(dim.choices - 1));
  }
  if (IsGrid(dim)) {
    const auto [first, last] = GridBounds(dim);
    const double k = std::clamp(std::round(value / Step(dim)), first, last);
    return k * Step(dim);
  }
  return std::clamp(value, dim.low, dim.high);
}

Point RandomPoint(const SearchSpace& space, SearchRandom& rng) {
  Point p;
  p.reserve(space.size());
  for (const Dimension& dim : space) {
    switch (dim.kind) {
      case DimensionKind::kCategorical:
        p.push_back(static_cast<double>(rng.Below(dim.choices)));
        break;
      case DimensionKind::kUniform:
        p.push_back(dim.low + (dim.high - dim.low) * rng.Unit());
        break;
      case DimensionKind::kLogUniform:
        p.push_back(std::exp(std::log(dim.low) + (std::log(dim.high) - std::log(dim.low)) * rng.Unit()));
        break;
      case DimensionKind::kIntUniform:
      case DimensionKind::kQUniform: {
        const auto [first, last] = GridBounds(dim);
        p.push_back((first + static_cast<double>(rng.Below(static_cast<int64_t>(last - first) + 1))) * Step(dim));
        break;
      }
    }
  }
  return p;
}

double ParzenEstimator::ToInternal(double value) const {
  return dim_.kind == DimensionKind::kLogUniform ? std::log(value) : value;
}

double ParzenEstimator::FromInternal(double t) const {
  return dim_.kind == DimensionKind::kLogUniform ? std::exp(t) : t;
}

ParzenEstimator::ParzenEstimator(const Dimension& dim, const std::vector<double>& values,
                                 const std::vector<double>& weights, double prior_weight)
    : dim_(dim) {
  weights_ = weights;
  weights_.push_back(prior_weight);
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) w /= total;

  if (dim.kind == DimensionKind::kCategorical) {
    const auto n = static_cast<size_t>(dim.choices);
    for (double v : values) {
      std::vector<double> row(n, prior_weight / static_cast<double>(n));
      row[static_cast<size_t>(Snap(dim, v))] += 1.0;
      for (double& r : row) r /= 1.0 + prior_weight;
      rows_.push_back(std::move(row));
    }
    rows_.emplace_back(n, 1.0 / static_cast<double>(n));  // the prior
    return;
  }

  if (IsGrid(dim)) {
    const auto [first, last] = GridBounds(dim);
    low_ = (first - 0.5) * Step(dim);
    high_ = (last + 0.5) * Step(dim);
  } else {
    low_ = ToInternal(dim.low);
    high_ = ToInternal(dim.high);
  }
  const double range = high_ - low_;
  const double prior_mu = 0.5 * (low_ + high_);
  // Bandwidths from the sorted centres, the prior among them (Optuna).
  std::vector<double> mus;
  for (double v : values) mus.push_back(ToInternal(v));
  mus.push_back(prior_mu);
  std::vector<size_t> order(mus.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mus[a] < mus[b]; });
  std::vector<double> ends{low_};
  for (size_t i : order) ends.push_back(mus[i]);
  ends.push_back(high_);
  std::vector<double> sigmas(mus.size());
  const size_t m = order.size();
  for (size_t j = 0; j < m; ++j) {
    double s = std::max(ends[j + 1] - ends[j], ends[j + 2] - ends[j + 1]);
    // Not towards the end points: the outermost centres look inwards only.
    if (m >= 2 && j == 0) s = ends[2] - ends[1];
    if (m >= 2 && j == m - 1) s = ends[m] - ends[m - 1];
    sigmas[order[j]] = s;
  }
  const double max_sigma = range;
  const double min_sigma = range / std::min(100.0, 1.0 + static_cast<double>(mus.size()));
  for (double& s : sigmas) s = std::clamp(s, min_sigma, max_sigma);
  sigmas.back() = range;  // the prior
  mus_ = std::move(mus);
  sigmas_ = std::move(sigmas);
  for (size_t k = 0; k < mus_.size(); ++k) {
    double mass = range > 0 ? NormalCdf((high_ - mus_[k]) / sigmas_[k]) - NormalCdf((low_ - mus_[k]) / sigmas_[k]) : 1;
    log_norms_.push_back(std::log(std::max(mass, kMinMass)));
  }
}

double ParzenEstimator::Sample(SearchRandom& rng) const {
  const size_t k = rng.Pick(weights_);
  if (dim_.kind == DimensionKind::kCategorical) return static_cast<double>(rng.Pick(rows_[k]));
  if (!(high_ > low_)) return Snap(dim_, FromInternal(low_));
  double t = mus_[k];
  bool inside = false;
  for (int tries = 0; tries < 100 && !inside; ++tries) {
    t = mus_[k] + sigmas_[k] * rng.Normal();
    inside = t >= low_ && t <= high_;
  }
  if (!inside) t = low_ + (high_ - low_) * rng.Unit();
  return Snap(dim_, FromInternal(t));
}

double ParzenEstimator::LogPdf(double value) const {
  std::vector<double> terms;
  terms.reserve(weights_.size());
  if (dim_.kind == DimensionKind::kCategorical) {
    const auto c = static_cast<size_t>(Snap(dim_, value));
    double p = 0;
    for (size_t k = 0; k < weights_.size(); ++k) p += weights_[k] * rows_[k][c];
    return std::log(std::max(p, kMinMass));
  }
  if (!(high_ > low_)) return 0;
  if (IsGrid(dim_)) {
    // The mass of the value's cell [v - q/2, v + q/2].
    const double half = 0.5 * Step(dim_);
    double p = 0;
    for (size_t k = 0; k < weights_.size(); ++k) {
      const double a = (value - half - mus_[k]) / sigmas_[k];
      const double b = (value + half - mus_[k]) / sigmas_[k];
      p += weights_[k] * (NormalCdf(b) - NormalCdf(a)) / std::exp(log_norms_[k]);
    }
    return std::log(std::max(p, kMinMass));
  }
  const double t = ToInternal(value);
  for (size_t k = 0; k < weights_.size(); ++k) {
    const double z = (t - mus_[k]) / sigmas_[k];
    terms.push_back(std::log(weights_[k]) - 0.5 * z * z - std::log(sigmas_[k] * std::sqrt(2.0 * M_PI)) -
                    log_norms_[k]);
  }
  return LogSumExp(terms);
}

}  // namespace ltsweep::search::internal
