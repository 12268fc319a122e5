// metrics/: the text format (HELP/TYPE, escaping, values, histograms),
// families and label sets, callbacks, and increments from many threads; the
// exposition is checked with Prometheus' own parser (promtool) when
// installed.
#include "metrics/metrics.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/metrics/promtool_check.h"

namespace ltsweep::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ExpositionTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b"c)" "\n" "d"), R"(a\\b\"c\nd)");
  EXPECT_EQ(EscapeHelp("line \\ one\nline \"two\""), "line \\\\ one\\nline \"two\"");
}

TEST(ExpositionTest, FormatsValuesAsPrometheusParsesThem) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.0005), "0.00050000000000000001");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(ExpositionTest, ChecksNames) {
  EXPECT_TRUE(IsValidMetricName("ltsweep_rpc_duration_seconds"));
  EXPECT_TRUE(IsValidMetricName("a:b"));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("has-dash"));
  EXPECT_TRUE(IsValidLabelName("method"));
  EXPECT_FALSE(IsValidLabelName("__reserved"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
}

TEST(RegistryTest, WritesHelpTypeAndLabelledSamples) {
  Registry r;
  Family<Counter>& rows = r.AddCounter("ltsweep_rows_total", "Rows \"ingested\"\nsince start", {"kind"});
  rows.WithLabels({"scalar"}).Increment(5);
  rows.WithLabels({"per\"class\\\n"}).Increment();
  r.AddGauge("ltsweep_depth", "Queue depth").WithLabels({}).Set(2.5);
  const std::string text = r.Exposition();
  EXPECT_EQ(text,
            "# HELP ltsweep_rows_total Rows \"ingested\"\\nsince start\n"
            "# TYPE ltsweep_rows_total counter\n"
            "ltsweep_rows_total{kind=\"per\\\"class\\\\\\n\"} 1\n"
            "ltsweep_rows_total{kind=\"scalar\"} 5\n"
            "# HELP ltsweep_depth Queue depth\n"
            "# TYPE ltsweep_depth gauge\n"
            "ltsweep_depth 2.5\n");
}

TEST(RegistryTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  Histogram& h = r.AddHistogram("ltsweep_wait_seconds", "Wait", {"method"}, {0.1, 1}).WithLabels({"Lease"});
  h.Observe(0.05);
  h.Observe(0.1);  // le is inclusive
  h.Observe(0.5);
  h.Observe(7);
  const std::string text = r.Exposition();
  EXPECT_THAT(text, HasSubstr("# TYPE ltsweep_wait_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("ltsweep_wait_seconds_bucket{method=\"Lease\",le=\"0.10000000000000001\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("ltsweep_wait_seconds_bucket{method=\"Lease\",le=\"1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("ltsweep_wait_seconds_bucket{method=\"Lease\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("ltsweep_wait_seconds_sum{method=\"Lease\"} 7.6500000000000004\n"));
  EXPECT_THAT(text, HasSubstr("ltsweep_wait_seconds_count{method=\"Lease\"} 4\n"));
}

TEST(RegistryTest, SameNameTwiceReturnsTheFamilyUnlessItDiffers) {
  Registry r;
  Family<Counter>& a = r.AddCounter("ltsweep_x_total", "X", {"k"});
  EXPECT_EQ(&a, &r.AddCounter("ltsweep_x_total", "X", {"k"}));
  EXPECT_THROW(r.AddCounter("ltsweep_x_total", "X", {"other"}), std::invalid_argument);
  EXPECT_THROW(r.AddGauge("ltsweep_x_total", "X", {"k"}), std::invalid_argument);
  EXPECT_THROW(r.AddCounter("bad-name", "X"), std::invalid_argument);
  EXPECT_THROW(r.AddHistogram("ltsweep_h", "H", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(r.AddHistogram("ltsweep_h2", "H", {}, {2, 1}), std::invalid_argument);
  EXPECT_THROW(a.WithLabels({}), std::invalid_argument);
}

TEST(RegistryTest, CallbacksRunAtScrapeUntilTheirHandleDies) {
  Registry r;
  int depth = 3;
  {
    CallbackHandle one = r.AddCallback("ltsweep_slots", "Slots", MetricType::kGauge, {"state"},
                                       [&depth](SampleSink& sink) { sink.Add({"busy"}, depth); });
    CallbackHandle two = r.AddCallback("ltsweep_slots", "Slots", MetricType::kGauge, {"state"},
                                       [](SampleSink& sink) { sink.Add({"idle"}, 1); });
    depth = 4;
    const std::string text = r.Exposition();
    EXPECT_THAT(text, HasSubstr("ltsweep_slots{state=\"busy\"} 4\n"));
    EXPECT_THAT(text, HasSubstr("ltsweep_slots{state=\"idle\"} 1\n"));
    EXPECT_EQ(text.find("# TYPE ltsweep_slots"), text.rfind("# TYPE ltsweep_slots"));  // one family
  }
  EXPECT_THAT(r.Exposition(), Not(HasSubstr("state=\"busy\"")));
}

TEST(RegistryTest, ConcurrentIncrementsAreAllCounted) {
  Registry r;
  Counter& c = r.AddCounter("ltsweep_c_total", "C").WithLabels({});
  Histogram& h = r.AddHistogram("ltsweep_h_seconds", "H", {}, {0.5}).WithLabels({});
  Gauge& g = r.AddGauge("ltsweep_g", "G").WithLabels({});
  Family<Counter>& labelled = r.AddCounter("ltsweep_l_total", "L", {"t"});
  constexpr int kThreads = 8;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& mine = labelled.WithLabels({std::to_string(t % 2)});
      for (int i = 0; i < kEach; ++i) {
        c.Increment();
        h.Observe(i % 2 == 0 ? 0.25 : 1.0);
        g.Add(1);
        mine.Increment();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), uint64_t{kThreads} * kEach);
  EXPECT_EQ(g.Value(), double{kThreads} * kEach);
  const HistogramData d = h.Read();
  EXPECT_EQ(d.count, uint64_t{kThreads} * kEach);
  EXPECT_EQ(d.cumulative[0], uint64_t{kThreads} * kEach / 2);
  EXPECT_DOUBLE_EQ(d.sum, kThreads * kEach / 2 * 1.25);
  EXPECT_EQ(labelled.WithLabels({"0"}).Value() + labelled.WithLabels({"1"}).Value(), uint64_t{kThreads} * kEach);
}

TEST(RegistryTest, ExpositionPassesPromtool) {
  Registry r;
  r.AddCounter("ltsweep_rows_total", "Rows", {"kind"}).WithLabels({"a \"quoted\" \\ value\nwith newline"}).Increment();
  r.AddGauge("ltsweep_depth", "Depth").WithLabels({}).Set(-1.5);
  Histogram& h = r.AddHistogram("ltsweep_wait_seconds", "Wait", {"method", "code"}, LatencyBuckets())
                     .WithLabels({"Lease", "OK"});
  h.Observe(0.003);
  h.Observe(100);
  CallbackHandle cb = r.AddCallback("ltsweep_workers", "Workers", MetricType::kGauge, {"state"},
                                    [](SampleSink& sink) { sink.Add({"alive"}, 2); });
  const auto verdict = ltsweep::testing::PromtoolCheckMetrics(r.Exposition());
  if (!verdict) GTEST_SKIP() << "promtool (Debian package prometheus) is not installed; exposition not checked";
  EXPECT_TRUE(verdict->ok) << verdict->output << "\n" << r.Exposition();
}

TEST(RegistryTest, PromtoolRejectsUnescapedText) {
  // The check above can fail: promtool refuses a label value whose newline
  // is not escaped, as WriteText would write it without EscapeLabelValue.
  const auto verdict = ltsweep::testing::PromtoolCheckMetrics("# HELP x X\n# TYPE x gauge\nx{a=\"b\nc\"} 1\n");
  if (!verdict) GTEST_SKIP() << "promtool (Debian package prometheus) is not installed";
  EXPECT_FALSE(verdict->ok);
}

}  // namespace
}  // namespace ltsweep::metrics
