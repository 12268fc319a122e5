// MergeAttempts: one history out of a trial's attempts, the latest attempt
// winning at each (epoch, name) and (epoch, kind).
#include "store/metric_history.h"

#include <cmath>

#include <gtest/gtest.h>

namespace ltsweep {
namespace {

TrialMetrics Attempt(int attempt, int first_epoch, const std::vector<double>& val_error) {
  TrialMetrics m;
  m.trial_id = 7;
  m.source_trial_id = 3;
  m.attempt = attempt;
  for (size_t i = 0; i < val_error.size(); ++i) {
    const int epoch = first_epoch + static_cast<int>(i);
    m.metrics.push_back({epoch, "val_error", val_error[i]});
    m.per_class.push_back({epoch, "error", 0, 0.1 * attempt});
    m.per_class.push_back({epoch, "error", 2, 0.3 * attempt});
    m.payloads.push_back({epoch, "confusion", "[[" + std::to_string(attempt) + "]]"});
  }
  m.payloads.push_back({-1, "start", "{\"attempt\":" + std::to_string(attempt) + "}"});
  return m;
}

TEST(MergeAttemptsTest, LaterAttemptWinsAtTheSameEpoch) {
  // Attempt 1 ran epochs 0-1, attempt 2 resumed at epoch 1 and ran to 2.
  const MetricHistory h = MergeAttempts({Attempt(1, 0, {0.6, 0.5}), Attempt(2, 1, {0.45, 0.40})});
  EXPECT_EQ(h.source_trial_id, 3);
  ASSERT_EQ(h.scalars.count("val_error"), 1u);
  EXPECT_EQ(h.scalars.at("val_error"), (Series{{0, 0.6}, {1, 0.45}, {2, 0.40}}));

  // Per-class rows: one vector per epoch, NaN for a class without a row.
  const auto& error = h.per_class.at("error");
  ASSERT_EQ(error.size(), 3u);
  ASSERT_EQ(error.at(0).size(), 3u);
  EXPECT_DOUBLE_EQ(error.at(0)[0], 0.1);
  EXPECT_TRUE(std::isnan(error.at(0)[1]));
  EXPECT_DOUBLE_EQ(error.at(1)[2], 0.6);  // attempt 2's

  // Payloads by (epoch, kind), the latest attempt's at each.
  ASSERT_EQ(h.payloads.size(), 4u);
  EXPECT_EQ(h.payloads[0].kind, "start");
  EXPECT_EQ(h.payloads[0].json, "{\"attempt\":2}");
  EXPECT_EQ(h.payloads[1].epoch, 0);
  EXPECT_EQ(h.payloads[1].json, "[[1]]");
  EXPECT_EQ(h.payloads[2].json, "[[2]]");
  EXPECT_EQ(h.payloads[3].epoch, 2);
}

TEST(MergeAttemptsTest, NoAttemptsIsAnEmptyHistory) {
  const MetricHistory h = MergeAttempts({});
  EXPECT_EQ(h.source_trial_id, 0);
  EXPECT_TRUE(h.scalars.empty());
  EXPECT_TRUE(h.per_class.empty());
  EXPECT_TRUE(h.payloads.empty());
}

}  // namespace
}  // namespace ltsweep
