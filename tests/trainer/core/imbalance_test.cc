#include "trainer/core/imbalance.h"

#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "tests/trainer/golden_util.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

int64_t Sum(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

TEST(ImbalanceTest, Cifar10ExpRho100CountsWithoutShared) {
  auto counts = ImbalancedClassCounts(10, 5000.0, ImbalanceType::kExp, 100);
  EXPECT_EQ(counts, (std::vector<int64_t>{5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50}));
  EXPECT_EQ(Sum(counts), 12406);
  EXPECT_EQ(Sum(ImbalancedClassCounts(10, 5000.0, ImbalanceType::kExp, 10)), 20431);
  auto c100 = ImbalancedClassCounts(100, 500.0, ImbalanceType::kExp, 100);
  EXPECT_EQ(Sum(c100), 10847);
  EXPECT_EQ(c100.back(), 5);  // a float32 imb_factor would give 4
}

TEST(ImbalanceTest, StepAndNone) {
  EXPECT_EQ(ImbalancedClassCounts(10, 5000.0, ImbalanceType::kStep, 100),
            (std::vector<int64_t>{5000, 5000, 5000, 5000, 5000, 50, 50, 50, 50, 50}));
  EXPECT_EQ(ImbalancedClassCounts(3, 6000.0, ImbalanceType::kNone, 100), (std::vector<int64_t>{6000, 6000, 6000}));
  // Odd C: still C entries (the reference would produce C - 1).
  EXPECT_EQ(ImbalancedClassCounts(3, 100.0, ImbalanceType::kStep, 10), (std::vector<int64_t>{100, 10, 10}));
}

TEST(ImbalanceTest, BadArgumentsThrowConfigError) {
  EXPECT_THROW(ParseImbalanceType("linear"), ConfigError);
  EXPECT_THROW(ImbalancedClassCounts(10, 5000.0, ImbalanceType::kExp, 0.5), ConfigError);
  EXPECT_THROW(KeptWithinClassRanks({10}, {11}, 0), ConfigError);
}

TEST(ImbalanceTest, AllGoldenCounts) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["imbalance_counts"];
  int checked = 0;
  for (auto it = g.begin(); it != g.end(); ++it) {
    const auto& c = it.value();
    const int num_classes = c["num_classes"];
    const double img_max = num_classes == 10 ? 5000.0 : 500.0;
    auto counts = ImbalancedClassCounts(num_classes, img_max, ParseImbalanceType(c["imb_type"]), c["rho"].get<double>());
    EXPECT_EQ(counts, c["counts"].get<std::vector<int64_t>>()) << it.key();
    EXPECT_EQ(Sum(counts), c["total"].get<int64_t>()) << it.key();
    ++checked;
  }
  EXPECT_EQ(checked, 9);
}

TEST(ImbalanceTest, FirstRanksWithoutShared) {
  auto counts = ImbalancedClassCounts(10, 5000.0, ImbalanceType::kExp, 100);
  auto ranks = KeptWithinClassRanks(std::vector<int64_t>(10, 5000), counts, 0);
  EXPECT_EQ(std::vector<int64_t>(ranks[0].begin(), ranks[0].begin() + 10),
            (std::vector<int64_t>{398, 3833, 4836, 4572, 636, 2545, 1161, 2230, 148, 2530}));
  EXPECT_EQ(std::vector<int64_t>(ranks[9].begin(), ranks[9].begin() + 10),
            (std::vector<int64_t>{2204, 3816, 2206, 2507, 1926, 4765, 368, 3808, 4418, 3498}));
  int64_t sum = 0;
  for (const auto& r : ranks) sum += Sum(r);
  EXPECT_EQ(sum, 30953231);
}

TEST(ImbalanceTest, AllGoldenSubsets) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden("golden_cifar_subsets.json");
  const uint32_t seed = g["rand_number_seed"];
  int checked = 0;
  for (auto it = g["subsets"].begin(); it != g["subsets"].end(); ++it) {
    auto counts = it.value()["counts"].get<std::vector<int64_t>>();
    const int64_t per_class = counts.size() == 10 ? 5000 : 500;
    auto ranks = KeptWithinClassRanks(std::vector<int64_t>(counts.size(), per_class), counts, seed);
    auto expected = it.value()["within_class_ranks"].get<std::vector<std::vector<int64_t>>>();
    ASSERT_EQ(ranks.size(), expected.size()) << it.key();
    for (size_t c = 0; c < ranks.size(); ++c) EXPECT_EQ(ranks[c], expected[c]) << it.key() << " class " << c;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

TEST(ImbalanceTest, KeptPositionsMapRanksToFileOrder) {
  // Labels interleaved: class c's k-th image sits at position 3k + c.
  std::vector<int32_t> labels;
  for (int k = 0; k < 10; ++k) {
    for (int c = 0; c < 3; ++c) labels.push_back(c);
  }
  std::vector<int64_t> counts = {10, 4, 2};
  auto ranks = KeptWithinClassRanks({10, 10, 10}, counts, 7);
  auto positions = KeptPositions(labels, 3, counts, 7);
  ASSERT_EQ(positions.size(), 16u);
  size_t i = 0;
  for (int c = 0; c < 3; ++c) {
    for (int64_t r : ranks[c]) EXPECT_EQ(positions[i++], 3 * r + c);
  }
}

}  // namespace
}  // namespace ltsweep::trainer
