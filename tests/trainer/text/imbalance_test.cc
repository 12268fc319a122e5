#include "trainer/text/imbalance.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace ltsweep::trainer::text {
namespace {

std::vector<int> Labels(int pos, int neg) {
  std::vector<int> y(static_cast<size_t>(pos), 1);
  y.insert(y.end(), static_cast<size_t>(neg), 0);
  return y;
}

int Count(const std::vector<int>& y, const std::vector<int64_t>& idx, int label) {
  int n = 0;
  for (int64_t i : idx) n += y[static_cast<size_t>(i)] == label;
  return n;
}

TEST(ImbalanceIndices, KeepsAllPositivesAndTheRoundedNegativeFraction) {
  auto y = Labels(12500, 12500);
  auto kept = ImbalanceIndices(y, 0.1, 0);
  EXPECT_EQ(Count(y, kept, 1), 12500);
  EXPECT_EQ(Count(y, kept, 0), 1250);
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  auto small = Labels(10, 7);
  EXPECT_EQ(Count(small, ImbalanceIndices(small, 0.5, 3), 0), 4);  // round(3.5) = 4
  EXPECT_EQ(ImbalanceIndices(Labels(3, 5), 1.0, 0).size(), 8u);
  EXPECT_EQ(Count(y, ImbalanceIndices(y, 0.0, 0), 0), 0);
}

TEST(ImbalanceIndices, IsSeeded) {
  auto y = Labels(100, 100);
  EXPECT_EQ(ImbalanceIndices(y, 0.1, 7), ImbalanceIndices(y, 0.1, 7));
  EXPECT_NE(ImbalanceIndices(y, 0.1, 7), ImbalanceIndices(y, 0.1, 8));
}

TEST(DevSplit, IsStratifiedAndPartitions) {
  auto y = Labels(12500, 1250);
  auto s = DevSplit(y, 0.2, 0);
  EXPECT_EQ(Count(y, s.dev, 1), 2500);
  EXPECT_EQ(Count(y, s.dev, 0), 250);
  EXPECT_EQ(Count(y, s.train, 1), 10000);
  EXPECT_EQ(Count(y, s.train, 0), 1000);
  std::vector<int64_t> all(s.train);
  all.insert(all.end(), s.dev.begin(), s.dev.end());
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<int64_t>(i));
}

TEST(StratifiedLimit, KeepsClassShares) {
  auto y = Labels(900, 100);
  auto idx = StratifiedLimit(y, 100, 1);
  EXPECT_EQ(Count(y, idx, 1), 90);
  EXPECT_EQ(Count(y, idx, 0), 10);
  EXPECT_EQ(StratifiedLimit(y, 0, 1).size(), 1000u);
}

}  // namespace
}  // namespace ltsweep::trainer::text
