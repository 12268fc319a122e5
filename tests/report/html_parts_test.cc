// The rendering the static report and the dashboard share: config tables
// with the changed keys first, the parallel-coordinates plot (well-formed,
// escaped, best on top) and legends that are never cut.
#include "report/html_parts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/parallel_coords.h"
#include "report/svg.h"
#include "tests/report/xml_check.h"

namespace ltsweep::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ltsweep::testing::CheckXml;

TEST(ConfigViewTest, ChangedKeysFirstThenTheRestEachSorted) {
  const nlohmann::json config = {{"train", {{"seed", 0}, {"epochs", 3}, {"lr", 0.1}}},
                                 {"method", {{"loss", "ldam"}, {"defer", "none"}}},
                                 {"zzz", {{"unknown", "<b>"}}}};
  const auto entries = ConfigEntriesChangedFirst(config);
  ASSERT_EQ(entries.size(), 6u);
  std::vector<std::string> keys;
  for (const auto& e : entries) keys.push_back(e.key + (e.changed ? "*" : ""));
  // train.epochs defaults to another value than 3, train.lr to 0.1.
  EXPECT_EQ(keys[0], "method.loss*");
  EXPECT_EQ(keys.back(), "train.seed");
  EXPECT_THAT(keys, ::testing::Contains("zzz.unknown*"));
  EXPECT_THAT(keys, ::testing::Contains("method.defer"));
  const std::string html = ConfigTableHtml(entries);
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_TRUE(CheckXml("<div>" + html + "</div>").ok);
}

std::vector<ParallelTrial> Trials() {
  std::vector<ParallelTrial> t;
  const char* losses[] = {"ce", "ldam", "focal<script>"};
  for (int i = 0; i < 6; ++i) {
    t.push_back({i + 1,
                 {{"method", {{"loss", losses[i % 3]}}}, {"train", {{"lr", 0.001 * (i + 1) * (i + 1) * 20}, {"seed", i}}}},
                 0.2 + 0.05 * i});
  }
  return t;
}

TEST(ParallelCoordsTest, OneAxisPerVaryingKeyPlusTheMetricBestDrawnLast) {
  ParallelOptions o;
  o.percent = true;
  const std::string svg = ParallelCoordinatesSvg(Trials(), o);
  auto check = CheckXml(svg);
  ASSERT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.elements["path"], 6);
  EXPECT_EQ(check.elements["line"], 3);  // method.loss, train.lr, the metric (train.seed left out)
  EXPECT_THAT(svg, HasSubstr(">method.loss<"));
  EXPECT_THAT(svg, HasSubstr(">train.lr<"));  // 0.02 .. 0.72 spans < 100x: linear
  EXPECT_THAT(svg, HasSubstr("focal&lt;script&gt;"));
  EXPECT_THAT(svg, Not(HasSubstr("<script")));
  // The best trial (1, 20%) is the last line, thick.
  const size_t last = svg.rfind("<path");
  EXPECT_THAT(svg.substr(last, svg.find("</path>", last) - last), HasSubstr("trial 1: val_error = 20% (best)"));
}

TEST(ParallelCoordsTest, SaysWhyWhenThereIsNothingToDraw) {
  EXPECT_THAT(ParallelCoordinatesSvg({}, ParallelOptions()), HasSubstr("no trial has a value"));
  std::vector<ParallelTrial> same = {{1, {{"method", {{"loss", "ce"}}}}, 0.3}, {2, {{"method", {{"loss", "ce"}}}}, 0.2}};
  EXPECT_THAT(ParallelCoordinatesSvg(same, ParallelOptions()), HasSubstr("no parameter varies"));
}

TEST(LegendTest, LongLabelsAreWrappedNeverCut) {
  const std::string label =
      "method.loss=ldam method.defer=drw data.imbalance.ratio=100 train.lr_schedule.kind=cosine trial 12345";
  LineSeries s{label, {{0, 1}, {1, 0.5}}, 0, false};
  LineSeries s2{"short", {{0, 2}, {1, 1}}, 1, false};
  const std::string svg = LineChartSvg({s, s2}, ChartOptions());
  ASSERT_TRUE(CheckXml(svg).ok);
  EXPECT_THAT(svg, Not(HasSubstr("\u2026")));
  // Every word of the label is in the legend's text.
  for (const char* word : {"method.loss=ldam", "data.imbalance.ratio=100", "trial", "12345"}) {
    EXPECT_THAT(svg, HasSubstr(word)) << word;
  }
  EXPECT_THAT(svg, HasSubstr("<tspan"));
}

}  // namespace
}  // namespace ltsweep::report
