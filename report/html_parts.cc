#include "report/html_parts.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "common/config_schema.h"
#include "report/svg.h"
#include "report/table_summary.h"
#include "report/trial_fields.h"

namespace ltsweep::report {

namespace {

std::string H(const std::string& s) { return XmlEscape(s); }

std::string ShortJson(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::vector<std::vector<double>> MatrixFromJson(const nlohmann::json& j) {
  std::vector<std::vector<double>> m;
  if (!j.is_array()) return m;
  for (const auto& row : j) {
    if (!row.is_array()) return {};
    std::vector<double> r;
    for (const auto& v : row) r.push_back(v.is_number() ? v.get<double>() : 0.0);
    m.push_back(std::move(r));
  }
  return m;
}

std::vector<std::string> ClassLabels(const TrialHistory& t, size_t n) {
  const std::vector<std::string> names = ReadClassInfo(t).names;
  std::vector<std::string> labels;
  for (size_t c = 0; c < n; ++c) labels.push_back(c < names.size() ? names[c] : std::to_string(c));
  return labels;
}

}  // namespace

std::string GridHtml(const TextGrid& grid, const std::string& css_class) {
  std::string out = fmt::format("<table class=\"{}\">\n<thead><tr>", H(css_class));
  for (const std::string& h : grid.header) out += "<th>" + H(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : grid.rows) {
    out += "<tr>";
    for (size_t c = 0; c < grid.header.size(); ++c) {
      const bool num = c < grid.numeric.size() && grid.numeric[c];
      out += num ? "<td class=\"num\">" : "<td>";
      out += H(c < row.size() ? row[c] : "") + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::string ResultsTableHtml(const StatusOr<ResultsTable>& table, const ResultsOptions& ro, size_t max_rows) {
  std::string out;
  if (!table.ok()) return out + "<p class=\"note\">" + H(table.status().message()) + "</p>\n";
  out += fmt::format("<p class=\"note\">{} of {} per trial, {} over the trials of each group{}.</p>\n",
                     ro.agg == AggMode::kLast ? "Last epoch" : "Best epoch", H(ro.metric),
                     ro.agg == AggMode::kBest ? "the best" : "mean \u00b1 sample std",
                     table->unit == "%" ? "; errors in %" : "");
  const SummarisedTable summary = SummariseTable(*table, ro.goal, max_rows);
  if (summary.left_out == 0) return out + GridHtml(ResultsGrid(*table, /*split_std=*/false), "results");
  out += fmt::format(
      "<p class=\"note\">The best {} of {} rows; {} rows left out (<code>ltsweep results</code> prints them "
      "all).</p>\n",
      summary.top.rows.size(), table->rows.size(), summary.left_out);
  out += GridHtml(ResultsGrid(summary.top, /*split_std=*/false), "results");
  for (const ResultsTable& per_key : summary.per_key) {
    out += "<h3>By " + H(per_key.key_columns.front()) + "</h3>\n";
    out += "<p class=\"note\">Mean \u00b1 std of the group values over every row with that value, and the best "
           "group value; n counts trials.</p>\n";
    out += GridHtml(ResultsGrid(per_key, /*split_std=*/false), "results");
  }
  return out;
}

std::vector<ConfigEntry> ConfigEntriesChangedFirst(const nlohmann::json& config) {
  std::vector<ConfigEntry> changed, same;
  for (const auto& [key, value] : FlattenConfig(config)) {
    ConfigEntry e;
    e.key = key;
    e.value = ShortJson(value);
    const ConfigKey* schema_key = FindConfigKey(key);
    if (schema_key == nullptr) {
      e.changed = true;
    } else {
      e.default_value = ShortJson(schema_key->default_value);
      const nlohmann::json normalized =
          CheckConfigValue(*schema_key, value).ok() ? NormalizeConfigValue(*schema_key, value) : value;
      e.changed = normalized != schema_key->default_value;
    }
    (e.changed ? changed : same).push_back(std::move(e));
  }
  auto by_key = [](const ConfigEntry& a, const ConfigEntry& b) { return a.key < b.key; };
  std::sort(changed.begin(), changed.end(), by_key);
  std::sort(same.begin(), same.end(), by_key);
  changed.insert(changed.end(), std::make_move_iterator(same.begin()), std::make_move_iterator(same.end()));
  return changed;
}

std::string ConfigTableHtml(const std::vector<ConfigEntry>& entries) {
  const size_t n_changed =
      static_cast<size_t>(std::count_if(entries.begin(), entries.end(), [](const ConfigEntry& e) { return e.changed; }));
  std::string out = fmt::format(
      "<p class=\"note\">{} of {} keys differ from the defaults (listed first, in bold).</p>\n"
      "<table class=\"config\">\n<thead><tr><th>key</th><th>value</th><th>default</th></tr></thead>\n<tbody>\n",
      n_changed, entries.size());
  for (const ConfigEntry& e : entries) {
    out += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td></tr>\n", e.changed ? " class=\"changed\"" : "", H(e.key),
                       H(e.value), e.changed ? H(e.default_value) : "");
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::vector<std::string> BestTrialCharts(const TrialHistory& t, int epoch) {
  std::vector<std::string> charts;
  auto pc = t.metrics.per_class.find(kPerClassError);
  if (pc != t.metrics.per_class.end() && !pc->second.empty()) {
    auto at = pc->second.find(epoch);
    if (at == pc->second.end()) at = std::prev(pc->second.end());
    std::vector<double> values;
    for (double e : at->second) values.push_back(e * 100);
    ChartOptions o;
    o.title = fmt::format("Per-class error at epoch {}", at->first);
    o.x_label = "class";
    o.y_label = "error (%)";
    charts.push_back(BarChartSvg(ClassLabels(t, values.size()), {"error"}, {values}, o));
  }
  auto matrix = MatrixFromJson(LatestPayload(t, "confusion"));
  if (!matrix.empty()) {
    ChartOptions o;
    o.title = "Confusion matrix (last epoch)";
    charts.push_back(HeatmapSvg(matrix, ClassLabels(t, matrix.size()), o));
  }
  return charts;
}

std::vector<ParallelTrial> ParallelTrialsOf(const std::vector<TrialHistory>& trials, const ResultsOptions& options,
                                            size_t max_trials) {
  std::vector<ParallelTrial> out;
  for (const TrialHistory& t : trials) {
    if (!options.include_unfinished && !IsSuccess(t)) continue;
    auto v = ReduceTrial(t, options.metric, options.goal, /*best=*/true);
    if (!v || !std::isfinite(v->value)) continue;
    out.push_back({t.trial.id, TrialConfig(t), v->value});
  }
  if (out.size() > max_trials) {
    const bool maximize = options.goal == "maximize";
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(max_trials), out.end(),
                      [&](const ParallelTrial& a, const ParallelTrial& b) {
                        return maximize ? a.value > b.value : a.value < b.value;
                      });
    out.resize(max_trials);
  }
  return out;
}

std::string ChartsHtml(const std::vector<std::string>& svgs) {
  if (svgs.empty()) return "<p class=\"note\">No learning curves were recorded.</p>\n";
  std::string out = "<div class=\"charts\">\n";
  for (const std::string& s : svgs) out += "<figure>\n" + s + "</figure>\n";
  out += "</div>\n";
  return out;
}

}  // namespace ltsweep::report
