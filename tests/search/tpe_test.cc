// TPE (search/tpe.h): determinism, that it beats random search on a simple
// objective, constant liar and no duplicate suggestions, the space checks.
#include "search/tpe.h"

#include <cmath>
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "search/parzen_estimator.h"
#include "tests/testing/test_util.h"

namespace ltsweep::search {
namespace {

SearchSpace MixedSpace() {
  return {
      {"lr", DimensionKind::kLogUniform, 0, 1e-4, 1.0, 1},
      {"momentum", DimensionKind::kUniform, 0, 0.0, 1.0, 1},
      {"loss", DimensionKind::kCategorical, 3, 0, 0, 1},
      {"epochs", DimensionKind::kIntUniform, 0, 1, 20, 1},
      {"wd", DimensionKind::kQUniform, 0, 0.0, 0.01, 0.001},
  };
}

// Best at lr = 1e-2, momentum = 0.9, loss 2, epochs 15, wd 0.004: loss 0.
double Objective(const Point& p) {
  const double lr = std::log10(p[0]) + 2.0;
  const double m = p[1] - 0.9;
  const double cat = p[2] == 2.0 ? 0.0 : (p[2] == 1.0 ? 0.5 : 1.0);
  const double e = (p[3] - 15.0) / 10.0;
  const double wd = (p[4] - 0.004) * 100;
  return lr * lr + m * m + cat + e * e + 0.1 * wd * wd;
}

// Runs `budget` trials one after the other; returns the losses in order.
std::vector<double> RunTpe(const SearchSpace& space, uint64_t seed, int budget, int startup = 10) {
  TpeOptions options;
  options.seed = seed;
  options.n_startup_trials = startup;
  TpeSampler sampler(space, options);
  std::vector<Observation> done;
  std::vector<double> losses;
  for (int i = 0; i < budget; ++i) {
    std::optional<Point> p = sampler.Suggest(done, {});
    if (!p) break;
    const double loss = Objective(*p);
    done.push_back({*p, loss});
    losses.push_back(loss);
  }
  return losses;
}

double Best(const std::vector<double>& losses) {
  double best = INFINITY;
  for (double l : losses) best = std::min(best, l);
  return best;
}

TEST(TpeTest, SameSeedAndResultsGiveTheSameSuggestions) {
  const std::vector<double> a = RunTpe(MixedSpace(), 7, 30);
  const std::vector<double> b = RunTpe(MixedSpace(), 7, 30);
  ASSERT_EQ(a.size(), 30u);
  EXPECT_EQ(a, b);
  const std::vector<double> c = RunTpe(MixedSpace(), 8, 30);
  EXPECT_NE(a, c);
}

TEST(TpeTest, SuggestKeepsNoStateBetweenCalls) {
  TpeOptions options;
  options.seed = 3;
  options.n_startup_trials = 2;
  TpeSampler sampler(MixedSpace(), options);
  std::vector<Observation> done = {{{0.1, 0.5, 1, 4, 0.002}, 1.0}, {{0.01, 0.9, 2, 15, 0.004}, 0.0},
                                   {{0.001, 0.1, 0, 2, 0.009}, 3.0}};
  const std::vector<Point> pending = {{0.05, 0.3, 1, 10, 0.001}};
  const std::optional<Point> first = sampler.Suggest(done, pending);
  TpeSampler other(MixedSpace(), options);
  other.Suggest(done, {});  // a different call in between
  const std::optional<Point> again = other.Suggest(done, pending);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(*first, *again);
}

TEST(TpeTest, BeatsRandomSearchOnASimpleObjective) {
  // Random search: TPE with every trial a start-up trial.
  double tpe = 0, random = 0;
  constexpr int kSeeds = 10, kBudget = 50;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    tpe += Best(RunTpe(MixedSpace(), seed, kBudget, 10));
    random += Best(RunTpe(MixedSpace(), seed, kBudget, kBudget));
  }
  tpe /= kSeeds;
  random /= kSeeds;
  RecordProperty("tpe_mean_best", std::to_string(tpe));
  RecordProperty("random_mean_best", std::to_string(random));
  EXPECT_LT(tpe, random) << "mean best loss over " << kSeeds << " seeds: TPE " << tpe << ", random " << random;
}

TEST(TpeTest, SuggestionsLieInTheSpace) {
  TpeOptions options;
  options.n_startup_trials = 5;
  TpeSampler sampler(MixedSpace(), options);
  std::vector<Observation> done;
  for (int i = 0; i < 40; ++i) {
    std::optional<Point> p = sampler.Suggest(done, {});
    ASSERT_TRUE(p);
    EXPECT_GE((*p)[0], 1e-4);
    EXPECT_LE((*p)[0], 1.0);
    EXPECT_GE((*p)[1], 0.0);
    EXPECT_LE((*p)[1], 1.0);
    EXPECT_TRUE((*p)[2] == 0 || (*p)[2] == 1 || (*p)[2] == 2) << (*p)[2];
    EXPECT_EQ((*p)[3], std::round((*p)[3]));
    EXPECT_GE((*p)[3], 1);
    EXPECT_LE((*p)[3], 20);
    EXPECT_NEAR((*p)[4] / 0.001, std::round((*p)[4] / 0.001), 1e-6);
    EXPECT_LE((*p)[4], 0.01 + 1e-12);
    done.push_back({*p, Objective(*p)});
  }
}

TEST(TpeTest, PendingPointsAreNotSuggestedAgain) {
  // 3 x 2 = 6 points; TPE past its start-up, with some pending.
  const SearchSpace space = {{"a", DimensionKind::kCategorical, 3, 0, 0, 1},
                             {"b", DimensionKind::kCategorical, 2, 0, 0, 1}};
  TpeOptions options;
  options.n_startup_trials = 2;
  TpeSampler sampler(space, options);
  std::vector<Observation> done = {{{0, 0}, 1.0}, {{1, 1}, 0.1}};
  std::vector<Point> pending;
  for (int i = 0; i < 4; ++i) {
    std::optional<Point> p = sampler.Suggest(done, pending);
    ASSERT_TRUE(p) << "after " << i;
    for (const auto& o : done) EXPECT_FALSE(SamePoint(*p, o.point));
    for (const auto& q : pending) EXPECT_FALSE(SamePoint(*p, q));
    pending.push_back(*p);
  }
  // Every point is finished or pending: the space is used up.
  EXPECT_FALSE(sampler.Suggest(done, pending).has_value());
}

TEST(TpeTest, ConstantLiarSpreadsConcurrentSuggestions) {
  const SearchSpace space = {{"x", DimensionKind::kUniform, 0, 0.0, 1.0, 1}};
  TpeOptions options;
  options.n_startup_trials = 3;
  options.seed = 11;
  std::vector<Observation> done;
  for (double x : {0.1, 0.35, 0.6, 0.85, 0.5}) done.push_back({{x}, std::fabs(x - 0.5)});
  // Eight workers ask before any of them finishes.
  TpeSampler liar(space, options);
  std::vector<Point> pending;
  for (int i = 0; i < 8; ++i) pending.push_back(*liar.Suggest(done, pending));
  double lo = 1, hi = 0;
  for (const auto& p : pending) {
    lo = std::min(lo, p[0]);
    hi = std::max(hi, p[0]);
  }
  for (size_t i = 0; i < pending.size(); ++i)
    for (size_t j = i + 1; j < pending.size(); ++j) EXPECT_FALSE(SamePoint(pending[i], pending[j]));
  EXPECT_GT(hi - lo, 0.01) << "eight concurrent suggestions all within 0.01 of each other";
}

TEST(TpeTest, GoodCountAndWeightsFollowOptuna) {
  EXPECT_EQ(GoodCount(1), 1);
  EXPECT_EQ(GoodCount(10), 1);
  EXPECT_EQ(GoodCount(11), 2);
  EXPECT_EQ(GoodCount(1000), 25);
  EXPECT_EQ(ObservationWeights(3), std::vector<double>(3, 1.0));
  const std::vector<double> w = ObservationWeights(30);
  ASSERT_EQ(w.size(), 30u);
  EXPECT_NEAR(w[0], 1.0 / 30, 1e-12);
  EXPECT_NEAR(w[4], 1.0, 1e-12);
  EXPECT_EQ(w[29], 1.0);
}

TEST(TpeTest, ParzenEstimatorPeaksAtItsObservations) {
  const Dimension dim{"x", DimensionKind::kUniform, 0, 0.0, 10.0, 1};
  internal::ParzenEstimator est(dim, {2.0, 2.2, 2.4}, {1, 1, 1}, 1.0);
  EXPECT_GT(est.LogPdf(2.2), est.LogPdf(8.0));
  internal::SearchRandom rng(1);
  int near = 0;
  for (int i = 0; i < 200; ++i) {
    const double v = est.Sample(rng);
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 10.0);
    near += std::fabs(v - 2.2) < 1.5;
  }
  EXPECT_GT(near, 100);
}

TEST(TpeTest, FiniteSizeCountsGridPoints) {
  EXPECT_FALSE(FiniteSize(MixedSpace()).has_value());
  const SearchSpace space = {{"a", DimensionKind::kCategorical, 3, 0, 0, 1},
                             {"b", DimensionKind::kIntUniform, 0, 2, 5, 1},
                             {"c", DimensionKind::kQUniform, 0, 0.1, 0.5, 0.2}};
  ASSERT_TRUE(FiniteSize(space).has_value());
  EXPECT_EQ(*FiniteSize(space), 3 * 4 * 2);  // c: 0.2, 0.4
}

TEST(TpeTest, ValidateSpaceNamesTheBadDimension) {
  EXPECT_FALSE(ValidateSpace({}).ok());
  Status st = ValidateSpace({{"lr", DimensionKind::kLogUniform, 0, 0.0, 1.0, 1}});
  EXPECT_NE(st.message().find("'lr'"), std::string::npos) << st.ToString();
  st = ValidateSpace({{"wd", DimensionKind::kQUniform, 0, 0.15, 0.18, 0.1}});
  EXPECT_NE(st.message().find("no multiple"), std::string::npos) << st.ToString();
  st = ValidateSpace({{"x", DimensionKind::kUniform, 0, 2.0, 1.0, 1}});
  EXPECT_FALSE(st.ok());
  EXPECT_OK(ValidateSpace(MixedSpace()));
}

}  // namespace
}  // namespace ltsweep::search
