// The report's stages section (report/stage_charts.h): the range-test curve
// against log10(lr) with the chosen bounds marked, the plateau curve with
// the chosen epoch marked, the failure reason of a failed stage.
#include "report/stage_charts.h"

#include <cmath>

#include <gtest/gtest.h>

#include "common/config_schema.h"

#include "tests/report/xml_check.h"

namespace ltsweep::report {
namespace {

using testing::CheckXml;

StageRecord RangeStage() {
  StageRecord s;
  s.stage = 0;
  s.name = "range_test";
  s.find = "lr_bounds";
  s.state = "done";
  s.n_trials = 1;
  s.found_json = R"({"min_lr":0.02,"max_lr":0.5})";
  Json curve = Json::array();
  for (int e = 0; e < 10; ++e) {
    const double lr = 0.001 * std::pow(2.0, e);
    curve.push_back({{"epoch", e}, {"lr", lr}, {"accuracy", 0.1 + 0.07 * e}, {"smoothed", 0.1 + 0.07 * e},
                     {"loss", 2.0 - 0.1 * e}});
  }
  s.evidence_json = Json{{"rule", "smoothed accuracy 0.1 at the start, peak 0.73"}, {"curve", curve}}.dump();
  return s;
}

StageRecord PlateauStage() {
  StageRecord s;
  s.stage = 1;
  s.name = "plateau";
  s.find = "plateau";
  s.state = "done";
  s.found_json = R"({"drw_epoch":4,"epoch":3,"milestones":[4,8]})";
  Json curve = Json::array();
  for (int e = 0; e < 12; ++e) curve.push_back({{"epoch", e}, {"train_loss", 2.0 / (e + 1)}, {"val_error", e < 4 ? 0.5 - 0.1 * e : 0.2}});
  s.evidence_json = Json{{"rule", "val_error 0.2 at epoch 3"}, {"curve", curve}}.dump();
  return s;
}

TEST(StageChartsTest, RangeTestChartMarksTheBoundsOnALogAxis) {
  auto charts = StageCharts(RangeStage());
  ASSERT_EQ(charts.size(), 2u);  // accuracy, loss
  EXPECT_TRUE(CheckXml(charts[0]).ok) << CheckXml(charts[0]).error;
  EXPECT_NE(charts[0].find("min_lr 0.02"), std::string::npos);
  EXPECT_NE(charts[0].find("max_lr 0.5"), std::string::npos);
  EXPECT_NE(charts[0].find("lr (log10"), std::string::npos);
  EXPECT_NE(charts[0].find("<path"), std::string::npos);
}

TEST(StageChartsTest, PerStepCurveIsDrawnAsTrainingBatches) {
  StageRecord s = RangeStage();
  Json ev = Json::parse(s.evidence_json);
  EXPECT_EQ(StageCharts(s)[0].find("per step"), std::string::npos);  // per epoch: validation
  EXPECT_NE(StageCharts(s)[0].find("validation accuracy"), std::string::npos);
  ev["curve_kind"] = "per_step";
  ev["smooth"] = 13;
  s.evidence_json = ev.dump();
  auto charts = StageCharts(s);
  ASSERT_EQ(charts.size(), 2u);
  EXPECT_TRUE(CheckXml(charts[0]).ok) << CheckXml(charts[0]).error;
  EXPECT_NE(charts[0].find("training-batch accuracy per step"), std::string::npos);
  EXPECT_NE(charts[0].find("moving average (13)"), std::string::npos);
  EXPECT_NE(charts[1].find("training-batch loss per step"), std::string::npos);
}

TEST(StageChartsTest, PlateauChartMarksTheEpoch) {
  auto charts = StageCharts(PlateauStage());
  ASSERT_EQ(charts.size(), 2u);  // val_error, train_loss
  for (const std::string& c : charts) {
    EXPECT_TRUE(CheckXml(c).ok) << CheckXml(c).error;
    EXPECT_NE(c.find("drw_epoch 4"), std::string::npos);
  }
}

TEST(StageChartsTest, SectionListsStagesFindingsAndFailures) {
  StageRecord failed = RangeStage();
  failed.state = "failed";
  failed.found_json = "";
  failed.error = "stage 'range_test': LR range test: no signal";
  StageRecord grid;
  grid.stage = 2;
  grid.name = "grid";
  grid.state = "skipped";
  const std::string html = StagesSectionHtml({failed, PlateauStage(), grid});
  EXPECT_NE(html.find("<h2>Stages</h2>"), std::string::npos);
  EXPECT_NE(html.find("no signal"), std::string::npos);
  EXPECT_NE(html.find("skipped"), std::string::npos);
  EXPECT_EQ(StageCharts(failed).size(), 0u);  // nothing found: no bounds to mark
  EXPECT_EQ(StagesSectionHtml({}), "");
}

}  // namespace
}  // namespace ltsweep::report
