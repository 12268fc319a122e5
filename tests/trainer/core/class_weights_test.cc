#include "trainer/core/class_weights.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_schema.h"
#include "tests/trainer/golden_util.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

const std::vector<int64_t> kCifar10Lt = {5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50};

TEST(ClassWeightsTest, CbWeightsHardCoded) {
  // golden ldam.inputs.weight: counts [500, 200, 50, 10], beta 0.9999, normalised.
  auto w = ClassBalancedWeights({500, 200, 50, 10}, 0.9999);
  const double expected[] = {0.06447826478466456, 0.1588095483872366, 0.6305013445967308, 3.1462108422313677};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(w[i], static_cast<float>(expected[i])) << i;
  for (float v : ClassBalancedWeights(kCifar10Lt, 0.0)) EXPECT_EQ(v, 1.0f);
}

TEST(ClassWeightsTest, GoldenCbCases) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["cb_weights"];
  auto counts = g["counts"].get<std::vector<int64_t>>();
  for (const auto& c : g["cases"]) {
    const double beta = c["beta"];
    auto unnorm = EffectiveNumberWeights(counts, beta);
    auto expected_unnorm = c["unnormalised"].get<std::vector<double>>();
    auto expected_f32 = c["normalised_float32"].get<std::vector<double>>();
    auto w = ClassBalancedWeights(counts, beta);
    for (size_t i = 0; i < counts.size(); ++i) {
      // The reference's numpy pow (1.24, SIMD) is not correctly rounded:
      // beta^n can differ from libm's by one ulp of a number near 1 (1.1e-16),
      // which 1 - beta^n turns into a relative error of 1.1e-16 / E. So: E to
      // within 2.3e-16 absolute, the weights to the implied relative bound,
      // and the float32 weights (what the loss uses) bit for bit.
      const double e = c["effective_num"][i];
      EXPECT_NEAR((1.0 - beta) / unnorm[i], e, 2.3e-16) << "beta " << beta << " class " << i;
      EXPECT_NEAR(unnorm[i], expected_unnorm[i], (2.3e-16 / e + 4e-16) * expected_unnorm[i]) << "beta " << beta;
      EXPECT_EQ(w[i], static_cast<float>(expected_f32[i])) << "beta " << beta << " class " << i;
    }
  }
}

TEST(ClassWeightsTest, GoldenResampleSampler) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["resample_sampler"];
  auto counts = g["counts"].get<std::vector<int64_t>>();
  auto w = ClassSamplingWeights(BalanceKind::kCb, counts, 0.9999);
  auto expected = g["per_sample_weight_by_class"].get<std::vector<double>>();
  auto share = ExpectedClassShare(counts, w);
  auto expected_share = g["expected_class_share_of_draws"].get<std::vector<double>>();
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_NEAR(w[i], expected[i], 1e-13 * expected[i]) << i;  // numpy's pow: see GoldenCbCases
    EXPECT_NEAR(share[i], expected_share[i], 1e-14) << i;
  }
}

TEST(ClassWeightsTest, InverseFrequencySumsToC) {
  auto w = InverseFrequencyWeights({100, 10, 1});
  double sum = w[0] + w[1] + w[2];
  EXPECT_NEAR(sum, 3.0, 1e-6);
  EXPECT_NEAR(w[2] / w[0], 100.0, 1e-3);
  auto share = ExpectedClassShare({100, 10, 1}, ClassSamplingWeights(BalanceKind::kInverse, {100, 10, 1}, 0));
  for (double s : share) EXPECT_NEAR(s, 1.0 / 3, 1e-12);
}

TEST(ClassWeightsTest, DrwSwitchesOnAtDrwEpoch) {
  BalanceOptions o;
  o.defer = "drw";
  o.drw_epoch = 160;
  auto before = BalanceForEpoch(o, kCifar10Lt, 159);
  EXPECT_FALSE(before.class_weights.has_value());
  EXPECT_FALSE(before.sampling_weights.has_value());
  auto after = BalanceForEpoch(o, kCifar10Lt, 160);
  ASSERT_TRUE(after.class_weights.has_value());
  EXPECT_EQ(*after.class_weights, ClassBalancedWeights(kCifar10Lt, 0.9999));
  EXPECT_FALSE(after.sampling_weights.has_value());
  o.reweight = BalanceKind::kInverse;
  EXPECT_EQ(*BalanceForEpoch(o, kCifar10Lt, 170).class_weights, InverseFrequencyWeights(kCifar10Lt));
}

TEST(ClassWeightsTest, DrsAndUndeferred) {
  BalanceOptions o;
  o.defer = "drs";
  o.drw_epoch = 3;
  EXPECT_FALSE(BalanceForEpoch(o, kCifar10Lt, 2).sampling_weights.has_value());
  auto on = BalanceForEpoch(o, kCifar10Lt, 3);
  ASSERT_TRUE(on.sampling_weights.has_value());
  EXPECT_EQ(*on.sampling_weights, EffectiveNumberWeights(kCifar10Lt, 0.9999));
  EXPECT_FALSE(on.class_weights.has_value());
  BalanceOptions plain;
  plain.reweight = BalanceKind::kCb;
  plain.resample = BalanceKind::kInverse;
  auto e0 = BalanceForEpoch(plain, kCifar10Lt, 0);
  ASSERT_TRUE(e0.class_weights && e0.sampling_weights);
  EXPECT_EQ((*e0.sampling_weights)[9], 1.0 / 50);
}

TEST(ClassWeightsTest, FromResolvedConfig) {
  auto resolved = ResolveTrialConfig(nlohmann::json::parse(
      R"({"method": {"loss": "ldam", "defer": "drw", "drw_epoch": 3, "cb_beta": 0.999}, "train": {"epochs": 5}})"));
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  auto o = BalanceOptions::FromConfig(*resolved);
  EXPECT_EQ(o.defer, "drw");
  EXPECT_EQ(o.drw_epoch, 3);
  EXPECT_EQ(o.cb_beta, 0.999);
  EXPECT_EQ(o.reweight, BalanceKind::kNone);
  EXPECT_THROW(ParseBalanceKind("method.reweight", "focal"), ConfigError);
}

// The text track's former TextClassWeights formulas, written out, must give
// the same doubles as FitClassWeights.
TEST(ClassWeightsTest, FitClassWeightsForTwoClasses) {
  const std::vector<int64_t> counts{1250, 6000};
  const double n = static_cast<double>(counts[0] + counts[1]);
  auto inverse = FitClassWeights(BalanceKind::kInverse, counts, 0.9999);
  EXPECT_EQ(inverse, (std::vector<double>{n / (2.0 * counts[0]), n / (2.0 * counts[1])}));
  const double beta = 0.999;
  double w0 = (1.0 - beta) / (1.0 - std::pow(beta, static_cast<double>(counts[0])));
  double w1 = (1.0 - beta) / (1.0 - std::pow(beta, static_cast<double>(counts[1])));
  double s = w0 + w1;
  EXPECT_EQ(FitClassWeights(BalanceKind::kCb, counts, beta), (std::vector<double>{2.0 * w0 / s, 2.0 * w1 / s}));
  EXPECT_EQ(FitClassWeights(BalanceKind::kNone, counts, beta), (std::vector<double>{1.0, 1.0}));
  // The float loss weights are the same numbers, cast.
  auto cb = ClassBalancedWeights(counts, beta);
  EXPECT_EQ(cb[0], static_cast<float>(2.0 * w0 / s));
}

TEST(ClassWeightsTest, WeightedSamplerReallyRebalances) {
  std::vector<int32_t> labels;
  for (int i = 0; i < 900; ++i) labels.push_back(0);
  for (int i = 0; i < 100; ++i) labels.push_back(1);
  WeightedSampler sampler(PerSampleWeights(labels, ClassSamplingWeights(BalanceKind::kInverse, {900, 100}, 0)));
  std::mt19937_64 engine(42);
  auto draws = sampler.Sample(20000, engine);
  int ones = 0;
  for (int64_t d : draws) {
    ASSERT_GE(d, 0);
    ASSERT_LT(d, 1000);
    ones += labels[d] == 1;
  }
  EXPECT_NEAR(ones / 20000.0, 0.5, 0.02);
  std::mt19937_64 again(42);
  EXPECT_EQ(sampler.Sample(20000, again), draws);
  EXPECT_THROW(WeightedSampler({0.0, 0.0}), ConfigError);
  EXPECT_THROW(WeightedSampler({1.0, -1.0}), ConfigError);
}

TEST(ClassWeightsTest, WeightedSamplerNeverDrawsZeroWeight) {
  WeightedSampler sampler({0.0, 1.0, 0.0, 2.0, 0.0});
  std::mt19937_64 engine(1);
  for (int64_t d : sampler.Sample(5000, engine)) EXPECT_TRUE(d == 1 || d == 3) << d;
}

}  // namespace
}  // namespace ltsweep::trainer
