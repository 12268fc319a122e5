#include "report/table_format.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/test_util.h"

namespace ltsweep::report {
namespace {

ResultsTable TwoRows() {
  ResultsTable t;
  t.key_columns = {"method.loss"};
  t.value_columns = {"val_error"};
  t.unit = "%";
  t.agg = AggMode::kMeanStd;
  ResultsRow a;
  a.key_values = {"ce"};
  a.n = 3;
  a.cells = {Cell{32.0, 2.0}};
  ResultsRow b;
  b.key_values = {"ldam, \"drw\""};
  b.n = 1;
  b.cells = {Cell{26.5, std::nullopt}};
  t.rows = {a, b};
  return t;
}

TEST(TableFormatTest, AlignedTextTable) {
  const std::string out = FormatResults(TwoRows(), OutputFormat::kTable);
  EXPECT_EQ(out,
            "method.loss  n  val_error (%)\n"
            "-----------  -  -------------\n"
            "ce           3   32.00 \u00b1 2.00\n"
            "ldam, \"drw\"  1          26.50\n");
}

TEST(TableFormatTest, CsvQuotesPerRfc4180AndSplitsStd) {
  const std::string out = FormatResults(TwoRows(), OutputFormat::kCsv);
  EXPECT_EQ(out,
            "method.loss,n,val_error,val_error_std\r\n"
            "ce,3,32,2\r\n"
            "\"ldam, \"\"drw\"\"\",1,26.5,\r\n");
  EXPECT_EQ(CsvField("a\nb"), "\"a\nb\"");
  EXPECT_EQ(CsvField("plain"), "plain");
}

TEST(TableFormatTest, JsonHasNumbersAndNulls) {
  auto j = nlohmann::json::parse(FormatResults(TwoRows(), OutputFormat::kJson));
  EXPECT_EQ(j["agg"], "mean_std");
  EXPECT_EQ(j["unit"], "%");
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][0]["method.loss"], "ce");
  EXPECT_EQ(j["rows"][0]["n"], 3);
  EXPECT_DOUBLE_EQ(j["rows"][0]["val_error"].get<double>(), 32.0);
  EXPECT_DOUBLE_EQ(j["rows"][0]["val_error_std"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["rows"][1]["val_error"].get<double>(), 26.5);
  EXPECT_TRUE(j["rows"][1]["val_error_std"].is_null());
}

TEST(TableFormatTest, MarkdownEscapesPipes) {
  ResultsTable t = TwoRows();
  t.rows[1].key_values = {"a|b"};
  const std::string out = FormatResults(t, OutputFormat::kMarkdown);
  EXPECT_EQ(out,
            "| method.loss | n | val_error (%) |\n"
            "| --- | ---: | ---: |\n"
            "| ce | 3 | 32.00 \u00b1 2.00 |\n"
            "| a\\|b | 1 | 26.50 |\n");
}

TEST(TableFormatTest, ParseOutputFormat) {
  EXPECT_EQ(*ParseOutputFormat("md"), OutputFormat::kMarkdown);
  auto bad = ParseOutputFormat("xlsx");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("xlsx"), std::string::npos);
}

TEST(TableFormatTest, FormatCell) {
  EXPECT_EQ(FormatCell(Cell{0.123456, 0.01}, false), "0.1235 \u00b1 0.01");
  EXPECT_EQ(FormatCell(Cell{}, true), "");
  EXPECT_EQ(DisplayWidth("\u00b1x"), 2u);
}

}  // namespace
}  // namespace ltsweep::report
