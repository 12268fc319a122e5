#include "report/table_format.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ltsweep::report {

StatusOr<OutputFormat> ParseOutputFormat(const std::string& text) {
  if (text == "table" || text.empty()) return OutputFormat::kTable;
  if (text == "csv") return OutputFormat::kCsv;
  if (text == "json") return OutputFormat::kJson;
  if (text == "markdown" || text == "md") return OutputFormat::kMarkdown;
  return InvalidArgumentError(
      fmt::format("--format: unknown format '{}' (expected table, csv, json or markdown)", text));
}

size_t DisplayWidth(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

std::string Pad(const std::string& s, size_t width, bool right) {
  const size_t w = DisplayWidth(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return right ? fill + s : s + fill;
}

bool IsNumeric(const TextGrid& grid, size_t col) {
  return col < grid.numeric.size() && grid.numeric[col];
}

std::string MarkdownEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// One line of text-table output: newlines inside cells would break the grid.
std::string OneLine(const std::string& s) {
  std::string out = s;
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\r', ' ');
  return out;
}

nlohmann::json CellJson(const std::string& cell, bool numeric) {
  if (!numeric) return cell;
  if (cell.empty()) return nullptr;
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  if (end != nullptr && *end == '\0' && std::isfinite(v)) {
    if (cell.find_first_of(".eE") == std::string::npos && std::fabs(v) < 9e15) {
      return static_cast<int64_t>(v);
    }
    return v;
  }
  return cell;
}

}  // namespace

std::string FormatGrid(const TextGrid& grid, OutputFormat format) {
  const size_t ncols = grid.header.size();
  std::string out;
  switch (format) {
    case OutputFormat::kTable: {
      std::vector<size_t> width(ncols, 0);
      for (size_t c = 0; c < ncols; ++c) width[c] = DisplayWidth(OneLine(grid.header[c]));
      for (const auto& row : grid.rows) {
        for (size_t c = 0; c < ncols && c < row.size(); ++c) {
          width[c] = std::max(width[c], DisplayWidth(OneLine(row[c])));
        }
      }
      auto line = [&](const std::vector<std::string>& cells) {
        std::string l;
        for (size_t c = 0; c < ncols; ++c) {
          if (c > 0) l += "  ";
          l += Pad(OneLine(c < cells.size() ? cells[c] : ""), width[c], IsNumeric(grid, c));
        }
        while (!l.empty() && l.back() == ' ') l.pop_back();
        return l + "\n";
      };
      out += line(grid.header);
      std::vector<std::string> rule;
      for (size_t c = 0; c < ncols; ++c) rule.push_back(std::string(width[c], '-'));
      out += line(rule);
      for (const auto& row : grid.rows) out += line(row);
      return out;
    }
    case OutputFormat::kCsv: {
      auto line = [&](const std::vector<std::string>& cells) {
        std::string l;
        for (size_t c = 0; c < ncols; ++c) {
          if (c > 0) l += ",";
          l += CsvField(c < cells.size() ? cells[c] : "");
        }
        return l + "\r\n";
      };
      out += line(grid.header);
      for (const auto& row : grid.rows) out += line(row);
      return out;
    }
    case OutputFormat::kJson: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& row : grid.rows) {
        nlohmann::json obj = nlohmann::json::object();
        for (size_t c = 0; c < ncols; ++c) {
          obj[grid.header[c]] = CellJson(c < row.size() ? row[c] : "", IsNumeric(grid, c));
        }
        arr.push_back(std::move(obj));
      }
      return arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    case OutputFormat::kMarkdown: {
      auto line = [&](const std::vector<std::string>& cells) {
        std::string l = "|";
        for (size_t c = 0; c < ncols; ++c) l += " " + MarkdownEscape(c < cells.size() ? cells[c] : "") + " |";
        return l + "\n";
      };
      out += line(grid.header);
      std::string rule = "|";
      for (size_t c = 0; c < ncols; ++c) rule += IsNumeric(grid, c) ? " ---: |" : " --- |";
      out += rule + "\n";
      for (const auto& row : grid.rows) out += line(row);
      return out;
    }
  }
  return out;
}

std::string FormatCell(const Cell& cell, bool percent) {
  if (!cell.value) return "";
  auto num = [&](double v) { return percent ? fmt::format("{:.2f}", v) : fmt::format("{:.4g}", v); };
  std::string s = num(*cell.value);
  if (cell.std) s += " \u00b1 " + num(*cell.std);
  return s;
}

TextGrid ResultsGrid(const ResultsTable& table, bool split_std) {
  TextGrid grid;
  const bool percent = table.unit == "%";
  for (const std::string& k : table.key_columns) {
    grid.header.push_back(k);
    grid.numeric.push_back(k == kStageColumn);  // a number in JSON
  }
  grid.header.push_back("n");
  grid.numeric.push_back(true);
  // Trials stopped early are marked only where some were counted (--all).
  const bool any_stopped =
      std::any_of(table.rows.begin(), table.rows.end(), [](const ResultsRow& r) { return r.stopped > 0; });
  if (any_stopped) {
    grid.header.push_back("stopped");
    grid.numeric.push_back(true);
  }
  for (const std::string& v : table.value_columns) {
    const std::string name = !split_std && percent && IsPercentMetric(v) ? v + " (%)" : v;
    grid.header.push_back(name);
    grid.numeric.push_back(true);
    if (split_std && table.agg != AggMode::kBest) {
      grid.header.push_back(v + "_std");
      grid.numeric.push_back(true);
    }
  }
  for (const ResultsRow& row : table.rows) {
    std::vector<std::string> cells = row.key_values;
    cells.push_back(std::to_string(row.n));
    if (any_stopped) cells.push_back(std::to_string(row.stopped));
    for (const Cell& cell : row.cells) {
      if (split_std) {
        cells.push_back(cell.value ? fmt::format("{}", *cell.value) : "");
        if (table.agg != AggMode::kBest) cells.push_back(cell.std ? fmt::format("{}", *cell.std) : "");
      } else {
        cells.push_back(FormatCell(cell, percent));
      }
    }
    grid.rows.push_back(std::move(cells));
  }
  return grid;
}

std::string FormatResults(const ResultsTable& table, OutputFormat format) {
  const bool machine = format == OutputFormat::kCsv || format == OutputFormat::kJson;
  TextGrid grid = ResultsGrid(table, machine);
  if (format != OutputFormat::kJson) return FormatGrid(grid, format);
  nlohmann::json out;
  out["agg"] = AggModeName(table.agg);
  out["unit"] = table.unit;
  out["rows"] = nlohmann::json::parse(FormatGrid(grid, format));
  return out.dump(2) + "\n";
}

}  // namespace ltsweep::report
