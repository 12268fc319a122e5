// A results table too long to read -- a random search of 100,000 configs
// groups into 100,000 rows -- summarised for the HTML report: its best rows,
// one small table per group-by key (each value of the key over every row),
// and how many rows were left out. `ltsweep results` still prints them all.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "report/aggregate.h"

namespace ltsweep::report {

struct SummarisedTable {
  // The best `max_rows` rows of the table (by the metric, its first value
  // column, per goal; rows without a value last), best first.
  ResultsTable top;
  // Per group-by key: one row per value of the key (its best `max_rows`
  // values), n the trials with that value, the metric's mean ± std over the
  // rows with that value, then the best row value. Empty when the table has
  // a single key column (top says it all).
  std::vector<ResultsTable> per_key;
  // Rows of the table not in `top`.
  size_t left_out = 0;
};

// `table` as it is (left_out 0, per_key empty) when it has at most
// `max_rows` rows.
SummarisedTable SummariseTable(const ResultsTable& table, const std::string& goal, size_t max_rows);

}  // namespace ltsweep::report
