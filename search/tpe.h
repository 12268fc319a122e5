// TPE: the Tree-structured Parzen Estimator sampler of Bayesian search
// (Bergstra et al. 2011, "Algorithms for hyper-parameter optimization"),
// what a sweep with `method: bayes` runs.
//
// The search space is a list of independent dimensions (a categorical choice
// among N values, or a number drawn uniformly, log-uniformly, as an integer
// or on a grid of q). A point holds one double per dimension: the index of
// the chosen value for a categorical dimension, the number otherwise.
//
// Suggest() looks at the finished observations (point, loss; lower is
// better) and the pending points (suggested, not finished):
//   * fewer than n_startup_trials finished: a point drawn at random from the
//     prior (uniform over each dimension);
//   * else: the observations are split at the gamma quantile of the loss
//     (gamma(n) = min(ceil(0.1 n), 25) best ones are "good"); each group gets
//     a Parzen estimator per dimension (a truncated-Gaussian mixture with one
//     component per observation plus a prior component; for categorical
//     dimensions a smoothed histogram), with newer observations weighted
//     more once there are over 25; n_ei_candidates points are drawn from the
//     good estimator and, per dimension, the one maximising
//     log l(x) - log g(x) is kept (Optuna's TPESampler, univariate, is the
//     reference).
//   * constant liar: pending points count as observations with the worst
//     possible loss (they fall in the "bad" group), so several workers
//     asking at once are steered apart.
// A suggested point never equals a finished or pending one (after rounding):
// when the best candidate is taken, the next best candidates, then random
// draws, are tried; nullopt when none is new (a finite space is used up).
//
// Deterministic: the random engine is seeded from options.seed and the
// number of points seen (finished + pending), so the same seed, the same
// observations in the same order and the same pending points give the same
// suggestion, with no state kept between calls (a coordinator restart
// changes nothing).
//
// Ownership: TpeSampler holds a copy of the space and options. Thread-safety:
// Suggest() is const and keeps no state; one sampler may be shared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace ltsweep::search {

enum class DimensionKind { kCategorical, kUniform, kLogUniform, kIntUniform, kQUniform };

const char* DimensionKindName(DimensionKind kind);

// One dimension of the space.
struct Dimension {
  std::string name;
  DimensionKind kind = DimensionKind::kUniform;
  int64_t choices = 0;       // kCategorical: number of values (>= 1)
  double low = 0, high = 0;  // numeric kinds: bounds, low <= high (kLogUniform: low > 0)
  // kQUniform: the step; values are multiples of q within [low, high]
  // (W&B's round(x / q) * q). kIntUniform uses 1.
  double q = 1;
};

using SearchSpace = std::vector<Dimension>;
using Point = std::vector<double>;

// A finished trial: its point and its loss (lower is better; negate a
// metric to maximise).
struct Observation {
  Point point;
  double loss = 0;
};

struct TpeOptions {
  uint64_t seed = 0;
  // Finished observations before TPE takes over from random draws.
  int n_startup_trials = 10;
  // Candidates drawn from the good estimator per suggestion.
  int n_ei_candidates = 24;
  // Weight of the prior component of each Parzen estimator.
  double prior_weight = 1.0;
  // Pending points count as the worst observations (see above).
  bool constant_liar = true;
  // Random draws tried for a new point when every candidate is taken.
  int max_random_tries = 256;
};

// INVALID_ARGUMENT naming the dimension when the space is empty, a bound is
// not finite, low > high, a log bound is <= 0, q <= 0 or a categorical
// dimension has no choice.
Status ValidateSpace(const SearchSpace& space);

// The number of good observations out of n: min(ceil(0.1 n), 25).
int GoodCount(int n);

// Weights of n observations in the order given: 1 each when n < 25, else a
// ramp from 1/n up to 1 for the oldest n - 25 and 1 for the newest 25.
std::vector<double> ObservationWeights(int n);

// Number of distinct points of a finite space (categorical, int and q
// dimensions only); nullopt when a dimension is continuous or the count is
// past 2^53.
std::optional<double> FiniteSize(const SearchSpace& space);

// True when a and b are the same point (numbers equal up to 1e-9 relative).
bool SamePoint(const Point& a, const Point& b);

class TpeSampler {
 public:
  // `space` must pass ValidateSpace (checked by the caller).
  TpeSampler(SearchSpace space, TpeOptions options);

  // The next point (see above); nullopt when no new point was found.
  std::optional<Point> Suggest(const std::vector<Observation>& finished,
                               const std::vector<Point>& pending) const;

  const SearchSpace& space() const { return space_; }
  const TpeOptions& options() const { return options_; }

 private:
  SearchSpace space_;
  TpeOptions options_;
};

}  // namespace ltsweep::search
