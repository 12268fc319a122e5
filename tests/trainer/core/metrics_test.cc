#include "trainer/core/metrics.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace ltsweep::trainer {
namespace {

// 3 classes, hand-made predictions:
//   true 0: 4 samples -> predicted 0,0,0,1
//   true 1: 3 samples -> predicted 1,2,0
//   true 2: 2 samples -> predicted 2,2
ConfusionMatrix Example() {
  ConfusionMatrix cm(3);
  std::vector<int32_t> truth = {0, 0, 0, 0, 1, 1, 1, 2, 2};
  std::vector<int32_t> pred = {0, 0, 0, 1, 1, 2, 0, 2, 2};
  cm.AddBatch(truth.data(), pred.data(), static_cast<int64_t>(truth.size()));
  return cm;
}

TEST(MetricsTest, ConfusionMatrixRowsAreTruth) {
  ConfusionMatrix cm = Example();
  EXPECT_EQ(cm.total(), 9);
  EXPECT_EQ(cm.Rows(), (std::vector<std::vector<int64_t>>{{3, 1, 0}, {1, 1, 1}, {0, 0, 2}}));
  EXPECT_THROW(cm.Add(3, 0), std::out_of_range);
  ConfusionMatrix other(3);
  other.Add(2, 0);
  cm.Merge(other);
  EXPECT_EQ(cm.at(2, 0), 1);
  EXPECT_EQ(cm.total(), 10);
}

TEST(MetricsTest, HandComputedSummary) {
  // Training counts: class 0 many (500), class 1 medium (50), class 2 few (5).
  auto s = Summarize(Example(), {500, 50, 5});
  EXPECT_DOUBLE_EQ(s.top1_error, 1.0 - 6.0 / 9.0);
  EXPECT_DOUBLE_EQ(s.per_class_error[0], 0.25);
  EXPECT_DOUBLE_EQ(s.per_class_error[1], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.per_class_error[2], 0.0);
  EXPECT_DOUBLE_EQ(s.many_shot_error, 0.25);
  EXPECT_DOUBLE_EQ(s.medium_shot_error, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.few_shot_error, 0.0);
  // precision: 3/4, 1/2, 2/3; recall: 3/4, 1/3, 1; F1: 3/4, 0.4, 0.8.
  EXPECT_DOUBLE_EQ(s.macro_precision, (0.75 + 0.5 + 2.0 / 3.0) / 3);
  EXPECT_DOUBLE_EQ(s.macro_recall, (0.75 + 1.0 / 3.0 + 1.0) / 3);
  EXPECT_DOUBLE_EQ(s.macro_f1, (0.75 + 0.4 + 0.8) / 3);
}

TEST(MetricsTest, EmptyGroupsAndNeverPredictedClasses) {
  ConfusionMatrix cm(3);
  cm.Add(0, 0);
  cm.Add(1, 0);  // class 1 never predicted; class 2 has no test samples
  auto s = Summarize(cm, {200, 150, 120});  // all many-shot
  EXPECT_TRUE(std::isnan(s.medium_shot_error));
  EXPECT_TRUE(std::isnan(s.few_shot_error));
  EXPECT_TRUE(std::isnan(s.per_class_error[2]));
  EXPECT_DOUBLE_EQ(s.many_shot_error, 0.5);  // mean of 0 and 1, class 2 skipped
  // precision: 1/2, 0 (never predicted), 0; recall 1, 0, 0 (no samples).
  EXPECT_DOUBLE_EQ(s.macro_precision, 0.5 / 3);
  EXPECT_DOUBLE_EQ(s.macro_recall, 1.0 / 3);
  EXPECT_DOUBLE_EQ(s.macro_f1, (2 * 0.5 / 1.5) / 3);
}

TEST(MetricsTest, ThresholdsAreStrict) {
  ShotThresholds t;  // many > 100, few < 20
  auto s = Summarize(Example(), {100, 20, 19}, t);
  EXPECT_TRUE(std::isnan(s.many_shot_error));
  EXPECT_DOUBLE_EQ(s.medium_shot_error, (0.25 + 2.0 / 3.0) / 2);
  EXPECT_DOUBLE_EQ(s.few_shot_error, 0.0);
  EXPECT_THROW(Summarize(Example(), {1, 2}), std::out_of_range);
}

}  // namespace
}  // namespace ltsweep::trainer
