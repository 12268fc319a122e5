// Text output of tables: aligned plain text, CSV (RFC 4180), JSON and
// Markdown. Used by `ltsweep results`, `ltsweep sql`, `ltsweep trial` and
// the HTML report (which renders its own <table> from the same grid).
//
// A TextGrid is a header plus rows of cells already turned into text; cells
// marked numeric are right-aligned in text and Markdown output and written as
// numbers in JSON when they parse as one.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "report/aggregate.h"

namespace ltsweep::report {

enum class OutputFormat { kTable, kCsv, kJson, kMarkdown };

// Parses "table" | "csv" | "json" | "markdown" (also "md").
StatusOr<OutputFormat> ParseOutputFormat(const std::string& text);

struct TextGrid {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // Per column: right-align (numbers). Missing entries mean left-aligned.
  std::vector<bool> numeric;
};

// Renders a grid. JSON: an array of objects keyed by header, numbers where a
// numeric cell parses as one, null for empty numeric cells.
std::string FormatGrid(const TextGrid& grid, OutputFormat format);

// Quotes one CSV field per RFC 4180 when it holds a comma, quote, CR or LF.
std::string CsvField(const std::string& field);

// Number of display columns of UTF-8 text (code points).
size_t DisplayWidth(const std::string& text);

// "27.62 ± 0.31", "27.62" (no std) or "" (no value); `percent` picks two
// decimals, otherwise four significant digits.
std::string FormatCell(const Cell& cell, bool percent);

// The results table as a grid. For table/markdown each value column is one
// "mean ± std" cell; for csv/json (machine formats) each value column becomes
// two columns, NAME and NAME_std, holding plain numbers.
TextGrid ResultsGrid(const ResultsTable& table, bool split_std);

// FormatGrid(ResultsGrid(table, format is csv or json), format), plus for JSON
// the unit and the aggregation mode:
// {"agg":"mean_std","unit":"%","rows":[{...}]}.
std::string FormatResults(const ResultsTable& table, OutputFormat format);

}  // namespace ltsweep::report
