// A results table of many rows, summarised for the HTML report: the best
// rows, one table per group-by key, and the count of rows left out.
#include "report/table_summary.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "report/html_report.h"
#include "tests/report/xml_check.h"
#include "tests/testing/test_util.h"

namespace ltsweep::report {
namespace {

// 250 rows: key lr = i, key loss = ce|ldam alternating; value (i * 7) % 250,
// each row of 2 trials; row 3 has no value.
ResultsTable Table() {
  ResultsTable t;
  t.key_columns = {"train.lr", "method.loss"};
  t.value_columns = {"val_error"};
  for (int i = 0; i < 250; ++i) {
    ResultsRow row;
    row.key_values = {std::to_string(i), i % 2 ? "ldam" : "ce"};
    row.n = 2;
    row.trial_ids = {2 * i + 1, 2 * i + 2};
    Cell c;
    if (i != 3) c.value = ((i * 7) % 250) / 1000.0;
    row.cells = {c};
    t.rows.push_back(row);
  }
  return t;
}

TEST(TableSummaryTest, KeepsTheBestRowsAndCountsTheRest) {
  SummarisedTable s = SummariseTable(Table(), "minimize", 100);
  ASSERT_EQ(s.top.rows.size(), 100u);
  EXPECT_EQ(s.left_out, 150u);
  for (size_t i = 0; i < s.top.rows.size(); ++i) {
    ASSERT_TRUE(s.top.rows[i].cells[0].value.has_value());
    // Values are (i * 7) % 250 / 1000 for every row but row 3 (21 / 1000).
    const double expected = static_cast<double>(i < 21 ? i : i + 1) / 1000.0;
    EXPECT_DOUBLE_EQ(*s.top.rows[i].cells[0].value, expected) << i;
  }
  SummarisedTable best_high = SummariseTable(Table(), "maximize", 1);
  EXPECT_DOUBLE_EQ(*best_high.top.rows[0].cells[0].value, 0.249);
  // One table per key; n counts trials over every row with the value.
  ASSERT_EQ(s.per_key.size(), 2u);
  const ResultsTable& by_loss = s.per_key[1];
  ASSERT_EQ(by_loss.rows.size(), 2u);
  EXPECT_EQ(by_loss.rows[0].n + by_loss.rows[1].n, 500);
  EXPECT_EQ(s.per_key[0].rows.size(), 100u) << "a key with many values shows its best ones";
}

TEST(TableSummaryTest, ASmallTableIsLeftAsItIs) {
  ResultsTable t = Table();
  t.rows.resize(40);
  SummarisedTable s = SummariseTable(t, "minimize", 100);
  EXPECT_EQ(s.left_out, 0u);
  EXPECT_EQ(s.top.rows.size(), 40u);
  EXPECT_TRUE(s.per_key.empty());
}

TEST(TableSummaryTest, TheReportOfAManyRowSweepSaysWhatItLeftOut) {
  SweepHistory sweep;
  sweep.sweep.id = 9;
  sweep.sweep.name = "random search";
  sweep.sweep.state = SweepState::kDone;
  for (int i = 0; i < 300; ++i) {
    TrialHistory t;
    t.trial.id = i + 1;
    t.trial.sweep_id = 9;
    t.trial.state = i < 290 ? TrialState::kSucceeded : TrialState::kFailed;
    if (i >= 290) t.trial.error = "crash " + std::to_string(i);
    t.trial.config_json = nlohmann::json({{"train", {{"lr", (i + 1) / 1000.0}, {"seed", 0}}}}).dump();
    for (int e = 0; e < 3; ++e) t.metrics.scalars["val_error"].push_back({e, 0.5 - 0.0001 * i - 0.01 * e});
    sweep.trials.push_back(t);
  }
  ReportOptions o;
  o.max_table_rows = 100;
  o.max_groups_charted = 5;
  auto html = RenderHtmlReport(sweep, o);
  ASSERT_OK(html);
  auto check = ltsweep::testing::CheckXml(*html);
  ASSERT_TRUE(check.ok) << check.error;
  EXPECT_NE(html->find("The best 100 of 290 rows; 190 rows left out"), std::string::npos);
  // The best row (lowest error: the last succeeded trial) is in, the worst is not.
  EXPECT_NE(html->find("<td>0.29</td>"), std::string::npos);
  EXPECT_EQ(html->find("<td>0.001</td>"), std::string::npos);
  // Failed trials are capped too.
  o.max_table_rows = 4;
  auto small = RenderHtmlReport(sweep, o);
  ASSERT_OK(small);
  EXPECT_NE(small->find("6 more left out"), std::string::npos);
}

}  // namespace
}  // namespace ltsweep::report
