#include "report/table_summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

namespace ltsweep::report {

namespace {

// Whether a is better than b (a value beats none).
bool Better(const std::optional<double>& a, const std::optional<double>& b, bool maximize) {
  if (!a) return false;
  if (!b) return true;
  return maximize ? *a > *b : *a < *b;
}

std::optional<double> Value(const ResultsRow& row) {
  return row.cells.empty() ? std::nullopt : row.cells.front().value;
}

// The best `max_rows` rows of `rows`, best first.
std::vector<ResultsRow> BestRows(std::vector<ResultsRow> rows, bool maximize, size_t max_rows) {
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const ResultsRow& a, const ResultsRow& b) { return Better(Value(a), Value(b), maximize); });
  if (rows.size() > max_rows) rows.resize(max_rows);
  return rows;
}

// One row per value of key column `k`: trials, mean ± std of the row values,
// best row value.
ResultsTable PerKey(const ResultsTable& table, size_t k, bool maximize, size_t max_rows) {
  struct Acc {
    int n = 0;
    std::vector<double> values;
    std::optional<double> best;
    std::vector<int64_t> trial_ids;
  };
  std::map<std::string, Acc> by_value;
  for (const ResultsRow& row : table.rows) {
    Acc& acc = by_value[row.key_values[k]];
    acc.n += row.n;
    if (auto v = Value(row)) {
      acc.values.push_back(*v);
      if (Better(v, acc.best, maximize)) acc.best = v;
    }
    if (acc.trial_ids.empty() && !row.trial_ids.empty()) acc.trial_ids.push_back(row.trial_ids.front());
  }
  ResultsTable out;
  out.key_columns = {table.key_columns[k]};
  out.value_columns = {table.value_columns.empty() ? "value" : table.value_columns.front(), "best"};
  out.unit = table.unit;
  out.agg = AggMode::kMeanStd;
  for (auto& [value, acc] : by_value) {
    ResultsRow row;
    row.key_values = {value};
    row.n = acc.n;
    row.trial_ids = acc.trial_ids;
    Cell mean;
    if (!acc.values.empty()) {
      double sum = 0;
      for (double v : acc.values) sum += v;
      mean.value = sum / static_cast<double>(acc.values.size());
      if (acc.values.size() > 1) {
        double ss = 0;
        for (double v : acc.values) ss += (v - *mean.value) * (v - *mean.value);
        mean.std = std::sqrt(ss / static_cast<double>(acc.values.size() - 1));
      }
    }
    Cell best;
    best.value = acc.best;
    row.cells = {mean, best};
    out.rows.push_back(std::move(row));
  }
  // Best values first (by their best row), at most max_rows of them.
  std::stable_sort(out.rows.begin(), out.rows.end(), [&](const ResultsRow& a, const ResultsRow& b) {
    return Better(a.cells[1].value, b.cells[1].value, maximize);
  });
  if (out.rows.size() > max_rows) out.rows.resize(max_rows);
  return out;
}

}  // namespace

SummarisedTable SummariseTable(const ResultsTable& table, const std::string& goal, size_t max_rows) {
  SummarisedTable out;
  out.top = table;
  if (table.rows.size() <= max_rows) return out;
  const bool maximize = goal == "maximize";
  out.top.rows = BestRows(table.rows, maximize, max_rows);
  out.left_out = table.rows.size() - out.top.rows.size();
  if (table.key_columns.size() > 1) {
    for (size_t k = 0; k < table.key_columns.size(); ++k) {
      out.per_key.push_back(PerKey(table, k, maximize, max_rows));
    }
  }
  return out;
}

}  // namespace ltsweep::report
