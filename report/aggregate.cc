#include "report/aggregate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/config_schema.h"

namespace ltsweep::report {

StatusOr<AggMode> ParseAggMode(const std::string& text) {
  if (text == "best") return AggMode::kBest;
  if (text == "last") return AggMode::kLast;
  if (text == "mean_std" || text == "mean") return AggMode::kMeanStd;
  return InvalidArgumentError(fmt::format("--agg: unknown mode '{}' (expected best, last or mean_std)", text));
}

StatusOr<ExtraColumns> ParseExtraColumns(const std::string& text) {
  if (text.empty() || text == "none") return ExtraColumns::kNone;
  if (text == "per_class") return ExtraColumns::kPerClass;
  if (text == "shot") return ExtraColumns::kShot;
  return InvalidArgumentError(fmt::format("--columns: unknown value '{}' (expected per_class or shot)", text));
}

const char* AggModeName(AggMode mode) {
  switch (mode) {
    case AggMode::kBest: return "best";
    case AggMode::kLast: return "last";
    case AggMode::kMeanStd: return "mean_std";
  }
  return "?";
}

bool IsPercentMetric(const std::string& name) {
  return name.find("error") != std::string::npos || name.find("acc") != std::string::npos;
}

Cell MeanStd(const std::vector<double>& values) {
  Cell cell;
  if (values.empty()) return cell;
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / static_cast<double>(values.size());
  cell.value = mean;
  if (values.size() >= 2) {
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    cell.std = std::sqrt(ss / static_cast<double>(values.size() - 1));
  }
  return cell;
}

std::string ConfigValueText(const nlohmann::json& config, const std::string& key) {
  const Json* v = GetPath(config, key);
  if (v == nullptr || v->is_null()) return "-";
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_float()) {
    std::string s = fmt::format("{:g}", v->get<double>());
    return s;
  }
  return v->dump();
}

std::string GroupLabel(const std::vector<std::string>& keys, const std::vector<std::string>& values,
                       int64_t trial_id) {
  if (keys.empty()) return fmt::format("trial {}", trial_id);
  std::string out;
  for (size_t i = 0; i < keys.size() && i < values.size(); ++i) {
    if (!out.empty()) out += " ";
    // The last part of the key is enough in a label: "loss=ldam".
    const std::string& k = keys[i];
    const size_t dot = k.rfind('.');
    out += (dot == std::string::npos ? k : k.substr(dot + 1)) + "=" + values[i];
  }
  return out;
}

std::vector<std::string> VaryingConfigKeys(const std::vector<TrialHistory>& trials) {
  std::map<std::string, std::set<std::string>> seen;
  std::map<std::string, size_t> present;
  for (const TrialHistory& t : trials) {
    for (const auto& [key, value] : FlattenConfig(TrialConfig(t))) {
      seen[key].insert(value.dump());
      ++present[key];
    }
  }
  std::vector<std::string> keys;
  for (const auto& [key, values] : seen) {
    if (key == "train.seed") continue;
    if (values.size() > 1 || present[key] != trials.size()) keys.push_back(key);
  }
  // Schema order (data, model, method, train, ...), unknown keys last.
  auto rank = [](const std::string& key) {
    const auto& schema = TrialConfigSchema();
    for (size_t i = 0; i < schema.size(); ++i) {
      if (schema[i].path == key) return i;
    }
    return schema.size();
  };
  std::stable_sort(keys.begin(), keys.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  return keys;
}

std::optional<TrialValue> ReduceTrial(const TrialHistory& trial, const std::string& metric,
                                      const std::string& goal, bool best) {
  const Series* s = FindSeries(trial, metric);
  if (s == nullptr) return std::nullopt;
  std::optional<TrialValue> out;
  const bool maximize = goal == "maximize";
  for (const auto& [epoch, value] : *s) {
    if (!std::isfinite(value)) continue;
    if (!out) {
      out = TrialValue{value, epoch};
    } else if (!best) {
      if (epoch >= out->epoch) out = TrialValue{value, epoch};
    } else if (maximize ? value > out->value : value < out->value) {
      out = TrialValue{value, epoch};
    }
  }
  return out;
}

namespace {

bool Counted(const TrialHistory& t, const ResultsOptions& options) {
  // linked: an identical config already succeeded; its results count here too.
  return options.include_unfinished || IsSuccess(t);
}

std::optional<double> SeriesAt(const TrialHistory& trial, const std::string& name, int epoch) {
  const Series* s = FindSeries(trial, name);
  if (s == nullptr) return std::nullopt;
  for (const auto& [e, v] : *s) {
    if (e == epoch) return v;
  }
  return std::nullopt;
}

int64_t ConfigInt(const nlohmann::json& config, const std::string& key, int64_t fallback) {
  const Json* v = GetPath(config, key);
  if (v == nullptr || !v->is_number()) return fallback;
  return v->get<int64_t>();
}

}  // namespace

ShotErrors ComputeShotErrors(const TrialHistory& trial, int epoch) {
  ShotErrors out;
  const std::vector<double>* pc = PerClassAt(trial, kPerClassError, epoch);
  const std::vector<int64_t> class_counts = pc != nullptr ? ReadClassInfo(trial).counts : std::vector<int64_t>{};
  if (pc != nullptr && !class_counts.empty() && class_counts.size() == pc->size()) {
    // Defaults mirror the schema: metrics.many_shot_min = 100, metrics.few_shot_max = 20.
    const nlohmann::json config = TrialConfig(trial);
    const int64_t many_min = ConfigInt(config, "metrics.many_shot_min", 100);
    const int64_t few_max = ConfigInt(config, "metrics.few_shot_max", 20);
    std::vector<double> many, medium, few;
    for (size_t c = 0; c < pc->size(); ++c) {
      const int64_t n = class_counts[c];
      if (n > many_min) {
        many.push_back((*pc)[c]);
      } else if (n < few_max) {
        few.push_back((*pc)[c]);
      } else {
        medium.push_back((*pc)[c]);
      }
    }
    out.many = MeanStd(many).value;
    out.medium = MeanStd(medium).value;
    out.few = MeanStd(few).value;
    return out;
  }
  out.many = SeriesAt(trial, "many_shot_error", epoch);
  out.medium = SeriesAt(trial, "medium_shot_error", epoch);
  out.few = SeriesAt(trial, "few_shot_error", epoch);
  return out;
}

StatusOr<size_t> FindBestTrial(const std::vector<TrialHistory>& trials, const ResultsOptions& options) {
  std::optional<size_t> best;
  double best_value = 0;
  const bool maximize = options.goal == "maximize";
  for (size_t i = 0; i < trials.size(); ++i) {
    if (!Counted(trials[i], options)) continue;
    auto v = ReduceTrial(trials[i], options.metric, options.goal, /*best=*/true);
    if (!v) continue;
    if (!best || (maximize ? v->value > best_value : v->value < best_value)) {
      best = i;
      best_value = v->value;
    }
  }
  if (!best) {
    return NotFoundError(fmt::format("no finished trial has a value of the metric '{}'", options.metric));
  }
  return *best;
}

std::optional<int> StageOfOrdinal(const std::vector<StageSpan>& spans, int64_t ordinal) {
  for (const StageSpan& s : spans) {
    if (ordinal >= s.first_ordinal && ordinal < s.first_ordinal + s.n_trials) return s.stage;
  }
  return std::nullopt;
}

namespace {

Status CheckResultsOptions(const ResultsOptions& options) {
  if (options.goal != "minimize" && options.goal != "maximize") {
    return InvalidArgumentError(fmt::format("goal: '{}' is neither minimize nor maximize", options.goal));
  }
  for (const std::string& key : options.group_by) {
    if (FindConfigKey(key) == nullptr && !IsConfigSection(key)) {
      std::string msg = fmt::format("--group-by: unknown config key '{}'", key);
      auto suggestions = SuggestConfigKeys(key);
      if (!suggestions.empty()) msg += fmt::format(" (did you mean {}?)", suggestions.front());
      return InvalidArgumentError(msg);
    }
  }
  return Status::Ok();
}

// A trial that counts, with its reduced value and its parsed config.
struct Item {
  const TrialHistory* trial;
  TrialValue value;
  nlohmann::json config;
};

// The trials that count, in trial-id order, with their reduced values.
std::vector<Item> CountedItems(const std::vector<TrialHistory>& trials, const ResultsOptions& options) {
  std::vector<const TrialHistory*> sorted;
  for (const TrialHistory& t : trials) sorted.push_back(&t);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const TrialHistory* a, const TrialHistory* b) { return a->trial.id < b->trial.id; });
  const bool use_best = options.agg != AggMode::kLast;
  std::vector<Item> items;
  for (const TrialHistory* t : sorted) {
    if (!Counted(*t, options)) continue;
    auto v = ReduceTrial(*t, options.metric, options.goal, use_best);
    if (v) items.push_back({t, *v, TrialConfig(*t)});
  }
  return items;
}

// Appends the extra value columns to `table`; returns the number of
// per-class columns (0 unless --columns per_class).
size_t AddExtraColumns(const std::vector<Item>& items, const ResultsOptions& options, ResultsTable& table) {
  size_t num_classes = 0;
  if (options.columns == ExtraColumns::kPerClass) {
    for (const Item& it : items) {
      const auto* pc = PerClassAt(*it.trial, kPerClassError, it.value.epoch);
      if (pc != nullptr) num_classes = std::max(num_classes, pc->size());
    }
    std::vector<std::string> names;  // of the last trial that names them all
    for (const Item& it : items) {
      std::vector<std::string> n = ReadClassInfo(*it.trial).names;
      if (n.size() == num_classes) names = std::move(n);
    }
    for (size_t c = 0; c < num_classes; ++c) {
      table.value_columns.push_back(!names.empty() ? "error[" + names[c] + "]" : fmt::format("error[{}]", c));
    }
  } else if (options.columns == ExtraColumns::kShot) {
    table.value_columns.insert(table.value_columns.end(), {"many_shot_error", "medium_shot_error", "few_shot_error"});
  }
  return num_classes;
}

// One trial's value per column (nullopt where missing).
std::vector<std::optional<double>> ItemValues(const Item& it, const ResultsOptions& options, size_t num_values,
                                              size_t num_classes, double scale) {
  std::vector<std::optional<double>> v(num_values);
  v[0] = it.value.value * scale;
  const double s = options.percent ? 100.0 : 1.0;
  if (options.columns == ExtraColumns::kPerClass) {
    const auto* pc = PerClassAt(*it.trial, kPerClassError, it.value.epoch);
    for (size_t c = 0; c < num_classes; ++c) {
      if (pc != nullptr && c < pc->size()) v[1 + c] = (*pc)[c] * s;
    }
  } else if (options.columns == ExtraColumns::kShot) {
    ShotErrors shots = ComputeShotErrors(*it.trial, it.value.epoch);
    if (shots.many) v[1] = *shots.many * s;
    if (shots.medium) v[2] = *shots.medium * s;
    if (shots.few) v[3] = *shots.few * s;
  }
  return v;
}

// Reduces one group's per-trial values (`columns[c][i]`: column c of the
// group's trial i) to its row cells.
void ReduceGroup(const std::vector<const Item*>& group, const std::vector<std::vector<std::optional<double>>>& columns,
                 const ResultsOptions& options, ResultsRow& row) {
  const size_t num_values = columns.size();
  row.cells.resize(num_values);
  if (options.agg == AggMode::kBest) {
    // The group's best trial supplies every column.
    const bool maximize = options.goal == "maximize";
    size_t best = 0;
    for (size_t i = 1; i < group.size(); ++i) {
      const double a = group[i]->value.value;
      const double b = group[best]->value.value;
      if (maximize ? a > b : a < b) best = i;
    }
    for (size_t c = 0; c < num_values; ++c) row.cells[c].value = columns[c][best];
    row.trial_ids = {group[best]->trial->trial.id};
    return;
  }
  for (size_t c = 0; c < num_values; ++c) {
    std::vector<double> present;
    for (const auto& v : columns[c]) {
      if (v) present.push_back(*v);
    }
    row.cells[c] = MeanStd(present);
  }
}

// The 1-based stage of the trial at `ordinal`, "-" when in none.
std::string StageText(const std::vector<StageSpan>& spans, int64_t ordinal) {
  const std::optional<int> stage = StageOfOrdinal(spans, ordinal);
  return stage ? std::to_string(*stage + 1) : "-";
}

}  // namespace

StatusOr<ResultsTable> AggregateResults(const std::vector<TrialHistory>& trials,
                                        const ResultsOptions& options) {
  LTSWEEP_RETURN_IF_ERROR(CheckResultsOptions(options));
  const std::vector<Item> items = CountedItems(trials, options);
  if (items.empty()) {
    return NotFoundError(fmt::format("no {}trial has a value of the metric '{}'",
                                     options.include_unfinished ? "" : "finished ", options.metric));
  }
  ResultsTable table;
  table.agg = options.agg;
  if (options.group_by.empty()) {
    std::vector<TrialHistory> counted;
    for (const Item& it : items) counted.push_back(*it.trial);
    table.key_columns = VaryingConfigKeys(counted);
  } else {
    table.key_columns = options.group_by;
  }
  if (!options.stages.empty()) table.key_columns.insert(table.key_columns.begin(), kStageColumn);
  const double scale = options.percent && IsPercentMetric(options.metric) ? 100.0 : 1.0;
  table.unit = scale != 1.0 ? "%" : "";
  table.value_columns.push_back(options.metric);
  const size_t num_classes = AddExtraColumns(items, options, table);
  const size_t num_values = table.value_columns.size();

  // Group, keeping the order of first appearance.
  std::vector<std::vector<std::string>> group_keys;
  std::vector<std::vector<const Item*>> group_items;
  for (const Item& it : items) {
    std::vector<std::string> values;
    size_t k = 0;
    if (!options.stages.empty()) {
      values.push_back(StageText(options.stages, it.trial->trial.ordinal));
      k = 1;
    }
    for (; k < table.key_columns.size(); ++k) values.push_back(ConfigValueText(it.config, table.key_columns[k]));
    auto pos = std::find(group_keys.begin(), group_keys.end(), values);
    if (pos == group_keys.end()) {
      group_keys.push_back(values);
      group_items.emplace_back();
      group_items.back().push_back(&it);
    } else {
      group_items[static_cast<size_t>(pos - group_keys.begin())].push_back(&it);
    }
  }
  for (size_t g = 0; g < group_keys.size(); ++g) {
    ResultsRow row;
    row.key_values = group_keys[g];
    row.n = static_cast<int>(group_items[g].size());
    std::vector<std::vector<std::optional<double>>> columns(num_values);
    for (const Item* it : group_items[g]) {
      row.trial_ids.push_back(it->trial->trial.id);
      if (it->trial->trial.state == TrialState::kStopped) ++row.stopped;
      std::vector<std::optional<double>> v = ItemValues(*it, options, num_values, num_classes, scale);
      for (size_t c = 0; c < num_values; ++c) columns[c].push_back(v[c]);
    }
    ReduceGroup(group_items[g], columns, options, row);
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace ltsweep::report
