#include "trainer/core/lr_schedule.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_schema.h"
#include "tests/trainer/golden_util.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

LrScheduleOptions Reference() { return LrScheduleOptions{}; }  // lr 0.1, warm-up 5, milestones 160/180, gamma 0.01

TEST(LrScheduleTest, ReferenceWarmupAndDrops) {
  auto s = MakeLrSchedule(Reference());
  EXPECT_FALSE(s->PerIteration());
  EXPECT_EQ(s->LearningRate(0, 0, 97), 0.02);
  EXPECT_EQ(s->LearningRate(1, 50, 97), 0.04);
  EXPECT_EQ(s->LearningRate(2, 0, 97), 0.06000000000000001);  // (0.1 * 3) / 5
  EXPECT_EQ(s->LearningRate(4, 96, 97), 0.1);
  EXPECT_EQ(s->LearningRate(159, 0, 97), 0.1);
  EXPECT_EQ(s->LearningRate(160, 0, 97), 0.001);
  EXPECT_EQ(s->LearningRate(179, 0, 97), 0.001);
  EXPECT_EQ(s->LearningRate(180, 0, 97), 1e-05);
  EXPECT_EQ(s->LearningRate(199, 0, 97), 1e-05);
}

TEST(LrScheduleTest, GoldenReferenceTable) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["lr_schedule"];
  LrScheduleOptions o;
  o.lr = g["base_lr"];
  o.epochs = g["epochs"];
  auto s = MakeLrSchedule(o);
  auto table = g["lr"].get<std::vector<double>>();
  ASSERT_EQ(table.size(), 200u);
  for (int e = 0; e < 200; ++e) EXPECT_EQ(s->LearningRate(e, 0, 97), table[e]) << "epoch " << e;
}

TEST(LrScheduleTest, TriangularSmithValues) {
  const double expected[] = {0.001, 0.0208, 0.0406, 0.06040000000000001, 0.08020000000000001, 0.1,
                             0.08020000000000001, 0.06040000000000001, 0.0406, 0.0208, 0.001, 0.02080000000000002};
  for (int t = 0; t < 12; ++t) EXPECT_EQ(TriangularLrSmith(t, 5, 0.001, 0.1), expected[t]) << "t " << t;
  // The literal report formula is degenerate.
  EXPECT_EQ(TriangularLrReportLiteral(0, 5, 0.001, 0.1), 0.001);
  EXPECT_EQ(TriangularLrReportLiteral(5, 5, 0.001, 0.1), 0.001);
  EXPECT_EQ(TriangularLrReportLiteral(9, 5, 0.001, 0.1), 0.0208);
}

TEST(LrScheduleTest, GoldenTriangularBothReadings) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["triangular_clr"];
  const double lo = g["eta_min"], hi = g["eta_max"], step = g["stepsize"];
  auto t = g["t"].get<std::vector<double>>();
  auto smith = g["smith_2017_formula"]["eta"].get<std::vector<double>>();
  auto literal = g["literal_report_formula"]["eta"].get<std::vector<double>>();
  ASSERT_EQ(t.size(), 41u);
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(TriangularLrSmith(t[i], step, lo, hi), smith[i]) << "t " << t[i];
    EXPECT_EQ(TriangularLrReportLiteral(t[i], step, lo, hi), literal[i]) << "t " << t[i];
  }
}

TEST(LrScheduleTest, TriangularScheduleUsesGlobalIterationAndMilestones) {
  LrScheduleOptions o;
  o.type = "triangular";
  o.min_lr = 0.001;
  o.max_lr = 0.1;
  o.step_size = 5;
  o.milestones = {2};
  o.gamma = 0.1;
  auto s = MakeLrSchedule(o);
  EXPECT_TRUE(s->PerIteration());
  // 4 iterations per epoch: epoch 1 iteration 1 is t = 5, the peak.
  EXPECT_EQ(s->LearningRate(1, 1, 4), TriangularLrSmith(5, 5, 0.001, 0.1));
  EXPECT_EQ(s->LearningRate(0, 3, 4), TriangularLrSmith(3, 5, 0.001, 0.1));
  // After the milestone both bounds are scaled by gamma.
  EXPECT_DOUBLE_EQ(s->LearningRate(3, 3, 4), TriangularLrSmith(15, 5, 0.001 * 0.1, 0.1 * 0.1));
}

TEST(LrScheduleTest, StepConstantAndRangeTest) {
  LrScheduleOptions o;
  o.type = "step";
  o.milestones = {2, 4};
  o.gamma = 0.1;
  auto step = MakeLrSchedule(o);
  EXPECT_EQ(step->LearningRate(0, 0, 10), 0.1);
  EXPECT_DOUBLE_EQ(step->LearningRate(2, 0, 10), 0.01);
  EXPECT_DOUBLE_EQ(step->LearningRate(5, 0, 10), 0.001);
  o.type = "constant";
  EXPECT_EQ(MakeLrSchedule(o)->LearningRate(7, 3, 10), 0.1);
  o.type = "range_test";
  o.epochs = 2;
  o.min_lr = 1e-4;
  o.max_lr = 1.0;
  auto range = MakeLrSchedule(o);
  EXPECT_TRUE(range->PerIteration());
  EXPECT_EQ(range->LearningRate(0, 0, 6), 1e-4);
  EXPECT_DOUBLE_EQ(range->LearningRate(1, 5, 6), 1.0);
  EXPECT_LT(range->LearningRate(0, 5, 6), range->LearningRate(1, 0, 6));
}

TEST(LrScheduleTest, FromResolvedConfigAndErrors) {
  auto resolved = ResolveTrialConfig(nlohmann::json::parse(
      R"({"train": {"lr": 0.05, "epochs": 30, "lr_schedule": {"type": "triangular", "step_size": 100, "milestones": [20]}}})"));
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  auto o = LrScheduleOptions::FromConfig(*resolved);
  EXPECT_EQ(o.type, "triangular");
  EXPECT_EQ(o.lr, 0.05);
  EXPECT_EQ(o.epochs, 30);
  EXPECT_EQ(o.step_size, 100);
  EXPECT_EQ(o.milestones, std::vector<int>{20});
  o.type = "cosine";
  EXPECT_THROW(MakeLrSchedule(o), ConfigError);
  EXPECT_THROW(LrScheduleOptions::FromConfig(nlohmann::json::object()), ConfigError);
}

TEST(LrScheduleTest, SuggestBoundsFromAccuracyPeak) {
  std::vector<RangeTestPoint> series;
  for (int i = 0; i < 100; ++i) {
    double lr = 0.001 * (i + 1);
    // Accuracy flat at 0.1 until lr 0.02, rises to 0.6 at lr 0.06, collapses after.
    double acc = lr < 0.02 ? 0.1 : lr <= 0.06 ? 0.1 + 0.5 * (lr - 0.02) / 0.04 : std::max(0.1, 0.6 - 10 * (lr - 0.06));
    series.push_back({lr, 2.0 - acc, acc});
  }
  auto b = SuggestLrBounds(series);
  EXPECT_EQ(b.rule, "accuracy");
  EXPECT_NEAR(b.max_lr, 0.06, 0.003);
  EXPECT_GT(b.min_lr, 0.02);
  EXPECT_LT(b.min_lr, 0.03);
  EXPECT_THROW(SuggestLrBounds({}), ConfigError);
}

TEST(LrScheduleTest, SuggestBoundsFallsBackToLoss) {
  std::vector<RangeTestPoint> series;
  for (int i = 0; i < 50; ++i) {
    double lr = 0.01 * (i + 1);
    series.push_back({lr, std::fabs(lr - 0.3) + 1.0, 0.1});
  }
  auto b = SuggestLrBounds(series);
  EXPECT_EQ(b.rule, "loss");
  EXPECT_NEAR(b.max_lr, 0.3, 1e-9);
  EXPECT_NEAR(b.min_lr, 0.03, 1e-9);
}

TEST(RangeTestCurveJsonTest, KeepsShortCurvesWholeAndSubsamplesLongOnesEvenly) {
  std::vector<RangeTestPoint> series;
  for (int i = 0; i < 2400; ++i) series.push_back({0.001 * (i + 1), i == 5 ? std::nan("") : 2.0, i / 2400.0});
  std::vector<RangeTestPoint> short_series(series.begin(), series.begin() + 240);
  nlohmann::json all = RangeTestCurveJson(short_series, 1000);
  ASSERT_EQ(all.size(), 240u);
  EXPECT_DOUBLE_EQ(all[7][0].get<double>(), 0.008);
  EXPECT_TRUE(all[5][1].is_null());  // a non-finite loss
  nlohmann::json some = RangeTestCurveJson(series, 1000);
  ASSERT_EQ(some.size(), 1000u);
  EXPECT_DOUBLE_EQ(some.front()[0].get<double>(), 0.001);  // first and last step kept
  EXPECT_DOUBLE_EQ(some.back()[0].get<double>(), 2.4);
  for (size_t k = 1; k < some.size(); ++k) {  // even: 2 or 3 steps apart
    const double gap = some[k][0].get<double>() - some[k - 1][0].get<double>();
    EXPECT_GT(gap, 0.0019);
    EXPECT_LT(gap, 0.0031);
  }
}

}  // namespace
}  // namespace ltsweep::trainer
