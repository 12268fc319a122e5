#include "search/tpe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "search/parzen_estimator.h"

namespace ltsweep::search {
namespace {

using internal::ParzenEstimator;
using internal::SearchRandom;

// A finite space this small is searched for unused points one by one when
// random draws keep hitting used ones.
constexpr double kEnumerableSize = 100'000;

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

bool IsNew(const Point& p, const std::vector<const Point*>& used) {
  for (const Point* u : used) {
    if (SamePoint(p, *u)) return false;
  }
  return true;
}

// The point with index `index` of a finite space (mixed radix, the last
// dimension fastest).
Point NthPoint(const SearchSpace& space, int64_t index) {
  Point p(space.size());
  for (size_t i = space.size(); i-- > 0;) {
    const Dimension& d = space[i];
    if (d.kind == DimensionKind::kCategorical) {
      p[i] = static_cast<double>(index % d.choices);
      index /= d.choices;
      continue;
    }
    const double q = d.kind == DimensionKind::kIntUniform ? 1.0 : d.q;
    const double first = std::ceil(d.low / q - 1e-9);
    const auto count = static_cast<int64_t>(std::floor(d.high / q + 1e-9) - first) + 1;
    p[i] = (first + static_cast<double>(index % count)) * q;
    index /= count;
  }
  return p;
}

// A point from the prior that is not used yet, or nullopt.
std::optional<Point> RandomNewPoint(const SearchSpace& space, const TpeOptions& options,
                                    const std::vector<const Point*>& used, SearchRandom& rng) {
  for (int i = 0; i < options.max_random_tries; ++i) {
    Point p = internal::RandomPoint(space, rng);
    if (IsNew(p, used)) return p;
  }
  const std::optional<double> size = FiniteSize(space);
  if (!size || *size > kEnumerableSize) return std::nullopt;
  std::vector<Point> unused;
  for (int64_t i = 0; i < static_cast<int64_t>(*size); ++i) {
    Point p = NthPoint(space, i);
    if (IsNew(p, used)) unused.push_back(std::move(p));
  }
  if (unused.empty()) return std::nullopt;
  return unused[static_cast<size_t>(rng.Below(static_cast<int64_t>(unused.size())))];
}

// The points in the good and bad groups, in the order given, with their
// weights.
struct Split {
  std::vector<const Point*> good, bad;
};

Split SplitObservations(const std::vector<Observation>& finished, const std::vector<Point>& pending,
                        bool constant_liar) {
  std::vector<std::pair<double, const Point*>> all;
  for (const Observation& o : finished) {
    all.emplace_back(std::isnan(o.loss) ? std::numeric_limits<double>::infinity() : o.loss, &o.point);
  }
  if (constant_liar) {
    for (const Point& p : pending) all.emplace_back(std::numeric_limits<double>::infinity(), &p);
  }
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return all[a].first < all[b].first; });
  const auto n_good = static_cast<size_t>(GoodCount(static_cast<int>(all.size())));
  std::vector<bool> is_good(all.size(), false);
  for (size_t i = 0; i < n_good && i < order.size(); ++i) is_good[order[i]] = true;
  Split split;
  for (size_t i = 0; i < all.size(); ++i) (is_good[i] ? split.good : split.bad).push_back(all[i].second);
  return split;
}

std::vector<ParzenEstimator> Estimators(const SearchSpace& space, const std::vector<const Point*>& points,
                                        double prior_weight) {
  const std::vector<double> weights = ObservationWeights(static_cast<int>(points.size()));
  std::vector<ParzenEstimator> out;
  for (size_t d = 0; d < space.size(); ++d) {
    std::vector<double> values;
    for (const Point* p : points) values.push_back((*p)[d]);
    out.emplace_back(space[d], values, weights, prior_weight);
  }
  return out;
}

}  // namespace

const char* DimensionKindName(DimensionKind kind) {
  switch (kind) {
    case DimensionKind::kCategorical: return "categorical";
    case DimensionKind::kUniform: return "uniform";
    case DimensionKind::kLogUniform: return "log_uniform";
    case DimensionKind::kIntUniform: return "int_uniform";
    case DimensionKind::kQUniform: return "q_uniform";
  }
  return "?";
}

Status ValidateSpace(const SearchSpace& space) {
  if (space.empty()) return InvalidArgumentError("the search space has no dimension");
  for (const Dimension& d : space) {
    const std::string where = "search space dimension '" + d.name + "'";
    if (d.kind == DimensionKind::kCategorical) {
      if (d.choices < 1) return InvalidArgumentError(where + ": a categorical dimension needs at least one value");
      continue;
    }
    if (!std::isfinite(d.low) || !std::isfinite(d.high) || d.low > d.high) {
      return InvalidArgumentError(fmt::format("{}: bounds [{}, {}] are not a range", where, d.low, d.high));
    }
    if (d.kind == DimensionKind::kLogUniform && d.low <= 0) {
      return InvalidArgumentError(fmt::format("{}: log_uniform needs low > 0, got {}", where, d.low));
    }
    if (d.kind == DimensionKind::kQUniform && !(d.q > 0 && std::isfinite(d.q))) {
      return InvalidArgumentError(fmt::format("{}: q must be greater than 0, got {}", where, d.q));
    }
    if (d.kind == DimensionKind::kIntUniform || d.kind == DimensionKind::kQUniform) {
      const double q = d.kind == DimensionKind::kIntUniform ? 1.0 : d.q;
      if (std::ceil(d.low / q - 1e-9) > std::floor(d.high / q + 1e-9)) {
        return InvalidArgumentError(
            fmt::format("{}: [{}, {}] holds no multiple of {}; widen the range or make q smaller", where, d.low,
                        d.high, q));
      }
    }
  }
  return Status::Ok();
}

int GoodCount(int n) { return std::min(static_cast<int>(std::ceil(0.1 * n)), 25); }

std::vector<double> ObservationWeights(int n) {
  if (n <= 0) return {};
  if (n < 25) return std::vector<double>(static_cast<size_t>(n), 1.0);
  std::vector<double> w;
  const int ramp = n - 25;
  for (int i = 0; i < ramp; ++i) {
    // numpy.linspace(1 / n, 1, ramp)
    w.push_back(ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1));
  }
  w.insert(w.end(), 25, 1.0);
  return w;
}

std::optional<double> FiniteSize(const SearchSpace& space) {
  double size = 1;
  for (const Dimension& d : space) {
    if (d.kind == DimensionKind::kCategorical) {
      size *= static_cast<double>(d.choices);
    } else if (d.kind == DimensionKind::kIntUniform || d.kind == DimensionKind::kQUniform) {
      const double q = d.kind == DimensionKind::kIntUniform ? 1.0 : d.q;
      size *= std::floor(d.high / q + 1e-9) - std::ceil(d.low / q - 1e-9) + 1;
    } else {
      return std::nullopt;
    }
    if (size > 9007199254740992.0) return std::nullopt;
  }
  return size;
}

bool SamePoint(const Point& a, const Point& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const double scale = std::max({1.0, std::fabs(a[i]), std::fabs(b[i])});
    if (std::fabs(a[i] - b[i]) > 1e-9 * scale) return false;
  }
  return true;
}

TpeSampler::TpeSampler(SearchSpace space, TpeOptions options)
    : space_(std::move(space)), options_(options) {}

std::optional<Point> TpeSampler::Suggest(const std::vector<Observation>& finished,
                                         const std::vector<Point>& pending) const {
  const uint64_t seen = finished.size() + pending.size();
  SearchRandom rng(SplitMix64(options_.seed) ^ SplitMix64(seen + 0x5eedULL));
  std::vector<const Point*> used;
  for (const Observation& o : finished) used.push_back(&o.point);
  for (const Point& p : pending) used.push_back(&p);

  if (static_cast<int>(finished.size()) < std::max(1, options_.n_startup_trials)) {
    return RandomNewPoint(space_, options_, used, rng);
  }
  const Split split = SplitObservations(finished, pending, options_.constant_liar);
  const std::vector<ParzenEstimator> good = Estimators(space_, split.good, options_.prior_weight);
  const std::vector<ParzenEstimator> bad = Estimators(space_, split.bad, options_.prior_weight);

  // Candidates from the good density; per dimension the value with the
  // highest log l(x) - log g(x) (Optuna's univariate TPE).
  const auto n = static_cast<size_t>(std::max(1, options_.n_ei_candidates));
  std::vector<Point> candidates(n, Point(space_.size()));
  std::vector<double> totals(n, 0.0);
  Point best(space_.size());
  for (size_t d = 0; d < space_.size(); ++d) {
    double best_score = -std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < n; ++c) {
      const double v = good[d].Sample(rng);
      const double score = good[d].LogPdf(v) - bad[d].LogPdf(v);
      candidates[c][d] = v;
      totals[c] += score;
      if (score > best_score) {
        best_score = score;
        best[d] = v;
      }
    }
  }
  if (IsNew(best, used)) return best;
  // Taken: the best whole candidate that is new, else a random new point.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return totals[a] > totals[b]; });
  for (size_t c : order) {
    if (IsNew(candidates[c], used)) return candidates[c];
  }
  return RandomNewPoint(space_, options_, used, rng);
}

}  // namespace ltsweep::search
