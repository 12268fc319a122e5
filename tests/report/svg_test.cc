#include "report/svg.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/report/xml_check.h"

namespace ltsweep::report {
namespace {

using ltsweep::testing::CheckXml;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(SvgTest, XmlEscape) {
  EXPECT_EQ(XmlEscape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  EXPECT_EQ(XmlEscape(std::string("x\x01y")), "xy");
}

TEST(SvgTest, NiceTicksCoverTheRange) {
  std::vector<double> t = NiceTicks(0.13, 0.87, 5);
  // range 0.74 / 5 = 0.148 -> a step of 0.1 (1 x 10^-1).
  ASSERT_EQ(t.size(), 7u);
  EXPECT_NEAR(t.front(), 0.2, 1e-12);
  EXPECT_NEAR(t.back(), 0.8, 1e-12);
  EXPECT_NEAR(t[1] - t[0], 0.1, 1e-12);
  std::vector<double> flat = NiceTicks(5, 5, 5);
  EXPECT_FALSE(flat.empty());
  std::vector<double> epochs = NiceTicks(0, 199, 6);
  EXPECT_EQ(epochs.front(), 0);
  EXPECT_NEAR(epochs[1], 50, 1e-9);
}

TEST(SvgTest, LineChartIsWellFormedWithLegendAndTicks) {
  LineSeries a{"ERM <val>", {{0, 0.5}, {1, 0.4}, {2, 0.3}}, 0, false};
  LineSeries b{"LDAM & DRW", {{0, 0.6}, {1, std::nan("")}, {2, 0.2}}, 1, true};
  ChartOptions o;
  o.title = "Validation error";
  o.y_label = "error";
  const std::string svg = LineChartSvg({a, b}, o);
  auto check = CheckXml(svg);
  ASSERT_TRUE(check.ok) << check.error << "\n" << svg;
  EXPECT_EQ(check.root, "svg");
  EXPECT_EQ(check.elements["path"], 2);  // one per series
  EXPECT_NE(svg.find("ERM &lt;val&gt;"), std::string::npos);
  EXPECT_NE(svg.find("LDAM &amp; DRW"), std::string::npos);
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  // The NaN breaks series b into two pieces: two "M" commands.
  const size_t b_path = svg.find("stroke=\"#ff7f0e\" stroke-width=\"1.8\"");
  ASSERT_NE(b_path, std::string::npos);
  const size_t d = svg.rfind("d=\"", b_path);
  EXPECT_EQ(Count(svg.substr(d, b_path - d), "M"), 2u);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("http://", svg.find("xmlns") + 40), std::string::npos);  // nothing external
}

TEST(SvgTest, LogScaleTicksAreDecades) {
  LineSeries lr{"lr", {{0, 0.1}, {1, 0.01}, {2, 0.001}}, 0, false};
  ChartOptions o;
  o.log_y = true;
  const std::string svg = LineChartSvg({lr}, o);
  ASSERT_TRUE(CheckXml(svg).ok);
  EXPECT_NE(svg.find(">0.1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">0.01</text>"), std::string::npos);
  EXPECT_NE(svg.find(">0.001</text>"), std::string::npos);
}

TEST(SvgTest, EmptyChartSaysNoData) {
  const std::string svg = LineChartSvg({}, ChartOptions());
  EXPECT_TRUE(CheckXml(svg).ok);
  EXPECT_NE(svg.find("no data"), std::string::npos);
}

TEST(SvgTest, BarChartAndHeatmap) {
  ChartOptions o;
  o.title = "Per-class error";
  const std::string bars = BarChartSvg({"cat", "dog", "ship"}, {"a", "b"}, {{10, 20, 30}, {5, 15, 25}}, o);
  auto check = CheckXml(bars);
  ASSERT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.elements["rect"], 1 + 6 + 1 + 2);  // background, bars, frame, legend boxes

  const std::string heat = HeatmapSvg({{8, 2}, {1, 9}}, {"neg", "pos"}, o);
  check = CheckXml(heat);
  ASSERT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.elements["rect"], 1 + 4);
  EXPECT_NE(heat.find("true neg predicted pos: 2"), std::string::npos);
}

TEST(SvgTest, LearningCurvesOneChartPerQuantity) {
  TrialHistory t;
  t.trial.id = 3;
  t.metrics.scalars["train_loss"] = {{0, 2.0}, {1, 1.0}};
  t.metrics.scalars["val_loss"] = {{0, 2.2}, {1, 1.3}};
  t.metrics.scalars["val_error"] = {{0, 0.6}, {1, 0.4}};
  t.metrics.scalars["lr"] = {{0, 0.1}, {1, 0.01}};
  std::vector<std::string> charts = LearningCurveCharts({&t}, {"ERM"});
  ASSERT_EQ(charts.size(), 3u);  // loss, val error, lr
  for (const auto& c : charts) EXPECT_TRUE(CheckXml(c).ok);
  const std::string all = LearningCurvesSvg({&t}, {"ERM"});
  auto check = CheckXml(all);
  ASSERT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.elements["svg"], 4);  // the document and three nested charts
}

}  // namespace
}  // namespace ltsweep::report
