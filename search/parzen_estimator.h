// Parzen estimators of one search dimension, the two densities TPE compares
// (search/tpe.h), and the random engine TPE draws with. Internal to search/.
//
// Thread-safety: ParzenEstimator is immutable after construction; SearchRandom
// is used by one thread at a time.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "search/tpe.h"

namespace ltsweep::search::internal {

// Draws written out (std::normal_distribution differs between standard
// libraries), over std::mt19937_64, whose output the standard fixes.
class SearchRandom {
 public:
  explicit SearchRandom(uint64_t seed) : engine_(seed) {}
  double Unit();                        // [0, 1)
  double Normal();                      // standard normal (Box-Muller)
  int64_t Below(int64_t n);             // [0, n), n >= 1
  // Index drawn with probability proportional to weights (all >= 0, sum > 0).
  size_t Pick(const std::vector<double>& weights);

 private:
  std::mt19937_64 engine_;
};

// One dimension's density: a mixture with one component per observation
// (weights given) plus a prior component of weight prior_weight.
//   categorical: each component is a histogram, 1 on its value plus
//     prior_weight / choices on every value, normalised; the prior is uniform;
//   numeric: a Gaussian truncated to the dimension's range (in log space for
//     kLogUniform, widened by q/2 on each side for kIntUniform/kQUniform)
//     centred on the value, with Optuna's bandwidth: the larger gap to a
//     neighbour, clipped to [range / min(100, 1 + n), range]; the prior sits
//     at the centre with sigma = range.
class ParzenEstimator {
 public:
  ParzenEstimator(const Dimension& dim, const std::vector<double>& values,
                  const std::vector<double>& weights, double prior_weight);

  // A value of the dimension (an index, or a number rounded to the grid).
  double Sample(SearchRandom& rng) const;
  // Log density (categorical, int and q: log probability) at a value.
  double LogPdf(double value) const;

 private:
  double ToInternal(double value) const;
  double FromInternal(double t) const;

  Dimension dim_;
  std::vector<double> weights_;  // normalised mixture weights
  // Numeric: internal bounds and the components.
  double low_ = 0, high_ = 0;
  std::vector<double> mus_, sigmas_, log_norms_;  // log_norms_: log of the truncation mass
  // Categorical: one row of value probabilities per component.
  std::vector<std::vector<double>> rows_;
};

// Rounds a numeric value onto its dimension's grid (integers, multiples of
// q) and clamps it into [low, high]; categorical: a valid index.
double Snap(const Dimension& dim, double value);

// A point drawn from the prior (uniform per dimension).
Point RandomPoint(const SearchSpace& space, SearchRandom& rng);

}  // namespace ltsweep::search::internal
