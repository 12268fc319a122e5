// HTML pieces shared by the static report (report/html_report.h) and the
// live dashboard (dashboard/): tables from a TextGrid, a trial config with
// its changed-from-default keys first, the best trial's per-class error and
// confusion-matrix charts, and the inputs of the parallel-coordinates plot.
// Every piece escapes what it prints (XmlEscape), so text from a spec or a
// trainer can never become markup.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/aggregate.h"
#include "report/parallel_coords.h"
#include "report/table_format.h"
#include "store/types.h"

namespace ltsweep::report {

// A <table class="css_class"> of the grid; numeric columns get class "num".
std::string GridHtml(const TextGrid& grid, const std::string& css_class);

// The results table as HTML: a line saying how cells were made, then the
// table, or -- over max_rows rows -- its best rows and one table per
// group-by key (report/table_summary.h). A table that could not be made
// gives its reason as a note.
std::string ResultsTableHtml(const StatusOr<ResultsTable>& table, const ResultsOptions& options, size_t max_rows);

// One flattened config key: its value and default as short text.
struct ConfigEntry {
  std::string key;            // dotted
  std::string value;          // strings unquoted, other JSON compact
  std::string default_value;  // "" when the key is not in the schema
  bool changed = false;       // differs from the schema default (or unknown)
};

// Every leaf of `config`: the keys whose value differs from the schema's
// default (common/config_schema.h) first, then the rest, each part sorted by
// key.
std::vector<ConfigEntry> ConfigEntriesChangedFirst(const nlohmann::json& config);

// The entries as a table (key, value, default); changed rows carry class
// "changed", and a note says how many keys differ from the defaults.
std::string ConfigTableHtml(const std::vector<ConfigEntry>& entries);

// The best trial's per-class error bar chart (at `epoch`, else the latest
// epoch with per-class rows) and its latest confusion matrix, as SVGs; only
// those the trial recorded.
std::vector<std::string> BestTrialCharts(const TrialHistory& trial, int epoch);

// One ParallelTrial per trial with a value of `options.metric` (its best
// epoch per options.goal), at most `max_trials` of them (the best ones).
std::vector<ParallelTrial> ParallelTrialsOf(const std::vector<TrialHistory>& trials, const ResultsOptions& options,
                                            size_t max_trials);

// The <div class="charts"> of the SVGs, or a note when there is none.
std::string ChartsHtml(const std::vector<std::string>& svgs);

}  // namespace ltsweep::report
