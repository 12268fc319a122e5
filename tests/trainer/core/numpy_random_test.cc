#include "trainer/core/numpy_random.h"

#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "tests/trainer/golden_util.h"

namespace ltsweep::trainer {
namespace {

TEST(NumpyRandomTest, FirstWordsAfterSeedZero) {
  NumpyRandomState rng(0);
  const uint32_t expected[] = {2357136044u, 2546248239u, 3071714933u, 3626093760u, 2588848963u};
  for (uint32_t e : expected) EXPECT_EQ(rng.NextUint32(), e);
}

TEST(NumpyRandomTest, ShuffleArange10MatchesNumpy) {
  NumpyRandomState rng(0);
  std::vector<int> a(10);
  std::iota(a.begin(), a.end(), 0);
  rng.Shuffle(a.data(), a.size());
  EXPECT_EQ(a, (std::vector<int>{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
}

TEST(NumpyRandomTest, UniformMatchesNumpy) {
  NumpyRandomState rng(0);
  EXPECT_EQ(rng.RandomSample(), 0.5488135039273248);
  EXPECT_EQ(rng.Uniform(), 0.7151893663724195);
  EXPECT_EQ(rng.Uniform(0.0, 1.0), 0.6027633760716439);
}

TEST(NumpyRandomTest, BetaTenTenMatchesBorderline2Fraction) {
  // imblearn 0.10 borderline-2: RandomState(0).beta(10, 10).
  NumpyRandomState rng(0);
  EXPECT_EQ(rng.Beta(10, 10), 0.5971578369693008);
}

TEST(NumpyRandomTest, SeedResetsStreamAndGaussCache) {
  NumpyRandomState rng(3);
  double g1 = rng.Gauss();
  rng.Gauss();
  rng.Seed(3);
  EXPECT_EQ(rng.Gauss(), g1);
}

TEST(NumpyRandomTest, GaussPairsShareOneRejectionStep) {
  // The second value of a pair is cached: it consumes no words.
  NumpyRandomState c(5), d(5);
  c.Gauss();
  d.Gauss();
  d.Gauss();
  EXPECT_EQ(c.NextUint32(), d.NextUint32());
}

TEST(NumpyRandomTest, RandIntStaysInRangeAndSkipsDrawForSingleton) {
  NumpyRandomState rng(1);
  for (int i = 0; i < 1000; ++i) {
    int64_t v = rng.RandInt(-3, 4);
    EXPECT_GE(v, -3);
    EXPECT_LT(v, 4);
  }
  NumpyRandomState a(9), b(9);
  EXPECT_EQ(a.RandInt(7, 8), 7);
  EXPECT_EQ(a.NextUint32(), b.NextUint32());
}

TEST(NumpyRandomTest, RandomIntervalUsesMaskedRejection) {
  // With max = 5 the mask is 7: words are masked and values above 5 rejected.
  NumpyRandomState a(11), b(11);
  for (int i = 0; i < 100; ++i) {
    uint64_t expected;
    do {
      expected = b.NextUint32() & 7u;
    } while (expected > 5);
    EXPECT_EQ(a.RandomInterval(5), expected);
  }
}

TEST(NumpyRandomTest, GammaAndBetaMomentsAreSane) {
  NumpyRandomState rng(2);
  for (double shape : {0.5, 1.0, 3.0}) {
    double sum = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) sum += rng.StandardGamma(shape);
    EXPECT_NEAR(sum / n, shape, 0.05 * shape + 0.02) << "shape " << shape;
  }
  double sum = 0;
  for (int i = 0; i < 20000; ++i) sum += rng.Beta(0.5, 0.5);  // Johnk branch
  EXPECT_NEAR(sum / 20000, 0.5, 0.02);
}

TEST(NumpyRandomTest, GoldenLegacyRngBlock) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["numpy_legacy_rng"];
  NumpyRandomState rng(g["seed"].get<uint32_t>());
  for (const auto& w : g["mt19937_first_5_words"]) EXPECT_EQ(rng.NextUint32(), w.get<uint32_t>());
  rng.Seed(g["seed"].get<uint32_t>());
  std::vector<int> a(10);
  std::iota(a.begin(), a.end(), 0);
  rng.Shuffle(a.data(), a.size());
  EXPECT_EQ(a, g["shuffle_arange10_after_seed0"].get<std::vector<int>>());
  rng.Seed(g["seed"].get<uint32_t>());
  for (const auto& u : g["uniform_first_3_after_seed0"]) EXPECT_EQ(rng.Uniform(), u.get<double>());
  auto b2 = testing::LoadGolden()["borderline_smote"]["borderline2_v010"];
  NumpyRandomState fresh(0);
  EXPECT_EQ(fresh.Beta(10, 10), b2["beta_fraction"].get<double>());
}

}  // namespace
}  // namespace ltsweep::trainer
