// Aggregation of a sweep's trials into the paper-style results table
// (`ltsweep results` and `ltsweep best`).
//
// Each counted trial is reduced to one value of the target metric:
//   - its best epoch (minimum over epochs when the goal is "minimize",
//     maximum for "maximize") for --agg best and --agg mean_std,
//   - its last epoch for --agg last.
// Trials are grouped by dotted config keys (default: every key whose value
// varies across the sweep's trials, except train.seed), and each group is
// reduced to one cell:
//   - best:     the best trial of the group (std empty),
//   - last:     mean ± sample std (n-1) of the trials' last-epoch values,
//   - mean_std: mean ± sample std (n-1) of the trials' best-epoch values.
// The std is empty for a group of one trial. Extra columns (per-class error or
// many/medium/few-shot error) are read at the same epoch as the metric and
// reduced the same way. Error and accuracy metrics are shown in percent when
// ResultsOptions::percent is set.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "report/trial_fields.h"
#include "store/types.h"

namespace ltsweep::report {

enum class AggMode { kBest, kLast, kMeanStd };
enum class ExtraColumns { kNone, kPerClass, kShot };

// Parses "best" | "last" | "mean_std" ("mean" is accepted for mean_std).
StatusOr<AggMode> ParseAggMode(const std::string& text);
// Parses "" | "none" | "per_class" | "shot".
StatusOr<ExtraColumns> ParseExtraColumns(const std::string& text);
const char* AggModeName(AggMode mode);

// The ordinals of one stage of a staged sweep: [first_ordinal,
// first_ordinal + n_trials) (report/stage_filter.h).
struct StageSpan {
  int stage = 0;  // 0-based
  int64_t first_ordinal = 0;
  int64_t n_trials = 0;
};

// The 0-based stage whose span holds `ordinal`, or nullopt.
std::optional<int> StageOfOrdinal(const std::vector<StageSpan>& spans, int64_t ordinal);

// The key column that holds a staged sweep's stage (ResultsOptions::stages).
inline constexpr char kStageColumn[] = "stage";

struct ResultsOptions {
  // Target metric: a scalar series name. Default "val_error".
  std::string metric = "val_error";
  // "minimize" or "maximize". Default "minimize".
  std::string goal = "minimize";
  // Dotted config keys to group by. Default (empty): every key that varies
  // across the counted trials, except train.seed.
  std::vector<std::string> group_by;
  // How a trial and a group are reduced. Default mean_std.
  AggMode agg = AggMode::kMeanStd;
  // Extra columns. Default none.
  ExtraColumns columns = ExtraColumns::kNone;
  // Show metrics whose name contains "error" or "acc" multiplied by 100.
  // Default true (the paper's tables are in percent).
  bool percent = true;
  // Count trials that have not succeeded (running, failed, stopped early)
  // when they have at least one value of the metric. Default false:
  // succeeded trials only. Stopped trials are counted in ResultsRow::stopped
  // and marked in the table (a "stopped" column).
  bool include_unfinished = false;
  // A staged sweep's stages (report/stage_filter.h). When not empty, the
  // first key column is "stage" (1-based, by each trial's ordinal), so that
  // no row mixes trials of two stages. Default: none.
  std::vector<StageSpan> stages;
};

// One table cell: a mean (or single value) and an optional std.
struct Cell {
  std::optional<double> value;
  std::optional<double> std;
};

struct ResultsRow {
  std::vector<std::string> key_values;  // one per ResultsTable::key_columns
  // The counted trials of the group (best: the group's best trial only).
  std::vector<int64_t> trial_ids;
  int n = 0;                            // trials in the group
  int stopped = 0;                      // of them, stopped early (only with include_unfinished)
  std::vector<Cell> cells;              // one per ResultsTable::value_columns
};

struct ResultsTable {
  std::vector<std::string> key_columns;    // the group-by keys
  std::vector<std::string> value_columns;  // metric first, then extras
  std::vector<ResultsRow> rows;            // in order of first appearance
  // The unit of value columns: "%" when shown in percent, else "".
  std::string unit;
  AggMode agg = AggMode::kMeanStd;
};

// Builds the results table of `trials` (in any order; rows follow trial id
// order of each group's first trial). Fails when an option is invalid or no
// trial has the metric.
StatusOr<ResultsTable> AggregateResults(const std::vector<TrialHistory>& trials,
                                        const ResultsOptions& options);

// The keys that vary across `trials` (flattened, sorted), except train.seed.
std::vector<std::string> VaryingConfigKeys(const std::vector<TrialHistory>& trials);

// A trial's value of the metric: best or last epoch. nullopt when the trial
// has no value of it.
struct TrialValue {
  double value = 0;
  int epoch = 0;
};
std::optional<TrialValue> ReduceTrial(const TrialHistory& trial, const std::string& metric,
                                      const std::string& goal, bool best);

// Index into `trials` of the best counted trial (best epoch value), or
// NotFound when none has the metric.
StatusOr<size_t> FindBestTrial(const std::vector<TrialHistory>& trials, const ResultsOptions& options);

// The many/medium/few-shot errors of `trial` at `epoch`, from its per-class
// error and class counts (thresholds from the config's metrics.many_shot_min
// and metrics.few_shot_max), or from its many_shot_error/... series. Each
// entry is nullopt when it cannot be computed or the group is empty.
struct ShotErrors {
  std::optional<double> many, medium, few;
};
ShotErrors ComputeShotErrors(const TrialHistory& trial, int epoch);

// Sample mean and standard deviation (n-1); std is nullopt for n < 2.
Cell MeanStd(const std::vector<double>& values);

// True for metric names shown in percent ("val_error", "many_shot_error", "acc").
bool IsPercentMetric(const std::string& name);

// A short label of a trial's group values, "method.loss=ldam method.defer=drw",
// or "trial 7" when there are no keys.
std::string GroupLabel(const std::vector<std::string>& keys, const std::vector<std::string>& values,
                       int64_t trial_id);

// The config value at a dotted key as short text ("ldam", "0.1", "[160,180]",
// "-" when absent).
std::string ConfigValueText(const nlohmann::json& config, const std::string& key);

}  // namespace ltsweep::report
