#include "report/html_report.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "report/html_parts.h"
#include "report/parallel_coords.h"
#include "report/stage_charts.h"
#include "report/stage_filter.h"
#include "report/svg.h"
#include "report/table_summary.h"
#include "report/table_format.h"
#include "report/trial_fields.h"

namespace ltsweep::report {

namespace {

constexpr const char* kStyle = R"css(
body { font-family: sans-serif; margin: 24px auto; max-width: 1200px; color: #202020; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #c0c0c0; }
h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #c8c8c8; padding: 3px 8px; font-size: 13px; }
th { background: #f0f0f0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
pre { background: #f6f6f6; padding: 8px; font-size: 12px; overflow-x: auto; }
.error { color: #a00000; white-space: pre-wrap; }
.note { color: #606060; }
table.config tr.changed td { font-weight: bold; }
)css";

std::string H(const std::string& s) { return XmlEscape(s); }

std::string Charts(const std::vector<std::string>& svgs) { return ChartsHtml(svgs); }

std::string SummarySection(const SweepHistory& history, const ResultsOptions& ro) {
  const SweepRecord& sweep = history.sweep;
  std::map<std::string, int> by_state;
  for (const TrialHistory& t : history.trials) ++by_state[TrialStateName(t.trial.state)];
  TextGrid summary;
  summary.header = {"field", "value"};
  summary.rows.push_back({"sweep", std::to_string(sweep.id)});
  summary.rows.push_back({"name", sweep.name});
  summary.rows.push_back({"state", SweepStateName(sweep.state)});
  summary.rows.push_back({"metric", ro.metric + " (" + ro.goal + ")"});
  summary.rows.push_back({"trials", std::to_string(history.trials.size())});
  for (const auto& [state, n] : by_state) summary.rows.push_back({"  " + state, std::to_string(n)});
  return "<h2>Summary</h2>\n" + GridHtml(summary, "summary");
}

std::string ResultsSection(const StatusOr<ResultsTable>& table, const ResultsOptions& ro, size_t max_rows,
                           const StageView& stage) {
  std::string out = "<h2>Results</h2>\n";
  std::string note = stage.Note();  // a staged sweep: which stage's trials
  if (!note.empty()) {
    note[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(note[0])));
    out += "<p class=\"note\">" + H(note) + ".</p>\n";
  }
  return out + ResultsTableHtml(table, ro, max_rows);
}

std::string CurvesSection(const std::vector<TrialHistory>& shown, const ResultsTable& table, const ResultsOptions& ro,
                          int max_trials_per_group_chart) {
  std::map<int64_t, const TrialHistory*> by_id;
  for (const TrialHistory& t : shown) by_id[t.trial.id] = &t;
  std::string out = "<h2>Learning curves</h2>\n";
  // Each group's best trial on one chart: the comparison of Figures 3-6.
  std::vector<const TrialHistory*> reps;
  std::vector<std::string> labels;
  for (const ResultsRow& row : table.rows) {
    const TrialHistory* best = nullptr;
    std::optional<TrialValue> best_v;
    for (int64_t id : row.trial_ids) {
      auto v = ReduceTrial(*by_id[id], ro.metric, ro.goal, true);
      if (v && (!best_v || (ro.goal == "maximize" ? v->value > best_v->value : v->value < best_v->value))) {
        best = by_id[id];
        best_v = v;
      }
    }
    if (best == nullptr) continue;
    reps.push_back(best);
    labels.push_back(GroupLabel(table.key_columns, row.key_values, best->trial.id));
  }
  out += "<h3>Groups compared (best trial of each)</h3>\n";
  out += Charts(LearningCurveCharts(reps, labels));
  if (ro.agg == AggMode::kBest) return out;
  for (const ResultsRow& row : table.rows) {
    if (row.trial_ids.size() < 2) continue;
    std::vector<const TrialHistory*> trials;
    std::vector<std::string> tl;
    for (int64_t id : row.trial_ids) {
      if (static_cast<int>(trials.size()) >= max_trials_per_group_chart) break;
      trials.push_back(by_id[id]);
      const std::string seed = ConfigValueText(TrialConfig(*by_id[id]), "train.seed");
      tl.push_back(fmt::format("trial {} seed {}", id, seed));
    }
    out += "<h3>" + H(GroupLabel(table.key_columns, row.key_values, row.trial_ids.front())) + "</h3>\n";
    out += Charts(LearningCurveCharts(trials, tl));
  }
  return out;
}

// Parameters against the metric, one line per counted trial (the best
// kMaxParallelLines when there are more).
constexpr size_t kMaxParallelLines = 2000;

std::string ParallelSection(const std::vector<TrialHistory>& shown, const ResultsOptions& ro) {
  ParallelOptions po;
  po.metric = ro.metric;
  po.goal = ro.goal;
  po.percent = ro.percent && IsPercentMetric(ro.metric);
  const std::vector<ParallelTrial> lines = ParallelTrialsOf(shown, ro, kMaxParallelLines);
  std::string out = "<h2>Parameters against the metric</h2>\n";
  out += fmt::format("<p class=\"note\">One line per trial ({}{}), from best (blue, thick) to worst (red).</p>\n",
                     lines.size(), lines.size() == kMaxParallelLines ? ", the best ones" : "");
  return out + Charts({ParallelCoordinatesSvg(lines, po)});
}

std::string BestTrialSection(const TrialHistory& t, const ResultsOptions& ro) {
  auto v = ReduceTrial(t, ro.metric, ro.goal, true);
  std::string out = fmt::format("<h2>Best trial: {}</h2>\n", t.trial.id);
  const double scale = ro.percent && IsPercentMetric(ro.metric) ? 100.0 : 1.0;
  out += fmt::format("<p>{} = {:.4g}{} at epoch {}.</p>\n", H(ro.metric), v->value * scale,
                     scale != 1.0 ? "%" : "", v->epoch);
  const std::vector<std::string> charts = BestTrialCharts(t, v->epoch);
  if (!charts.empty()) out += Charts(charts);
  out += "<h3>Config</h3>\n" + ConfigTableHtml(ConfigEntriesChangedFirst(TrialConfig(t)));
  return out;
}

std::string FailedSection(const SweepHistory& history, size_t max_rows) {
  TextGrid failed;
  failed.header = {"trial", "state", "attempts", "error"};
  failed.numeric = {true, false, true, false};
  size_t left_out = 0;
  for (const TrialHistory& h : history.trials) {
    const TrialRecord& t = h.trial;
    if (t.state == TrialState::kStopped || (t.state != TrialState::kFailed && t.error.empty())) continue;
    if (failed.rows.size() >= max_rows) {
      ++left_out;
      continue;
    }
    failed.rows.push_back({std::to_string(t.id), TrialStateName(t.state), std::to_string(t.attempts), t.error});
  }
  std::string out = "<h2>Failed trials</h2>\n";
  if (failed.rows.empty()) return out + "<p class=\"note\">None.</p>\n";
  out += GridHtml(failed, "failed");
  if (left_out > 0) {
    out += fmt::format("<p class=\"note\">{} more left out (<code>ltsweep sql</code> lists them).</p>\n", left_out);
  }
  return out;
}

// Trials ended by early termination: their last epoch and why.
std::string StoppedSection(const SweepHistory& history, const ResultsOptions& ro) {
  TextGrid stopped;
  stopped.header = {"trial", "state", "epochs", "best " + ro.metric, "why"};
  stopped.numeric = {true, false, true, true, false};
  for (const TrialHistory& h : history.trials) {
    if (h.trial.state != TrialState::kStopped) continue;
    auto series = h.metrics.scalars.find(ro.metric);
    const int epochs = series == h.metrics.scalars.end() || series->second.empty()
                           ? 0
                           : series->second.back().first + 1;
    auto best = ReduceTrial(h, ro.metric, ro.goal, true);
    stopped.rows.push_back({std::to_string(h.trial.id), "stopped early", std::to_string(epochs),
                            best ? fmt::format("{:.4g}", best->value) : "", h.trial.error});
  }
  if (stopped.rows.empty()) return "";
  return "<h2>Stopped early</h2>\n<p class=\"note\">Ended by the sweep's early_terminate rule; their metrics are "
         "kept and they count as neither succeeded nor failed.</p>\n" +
         GridHtml(stopped, "stopped");
}

// One row per distinct (device, threads, BLAS) the sweep's attempts ran
// with: results on CPU depend on the thread count.
std::string RuntimeSection(const SweepHistory& history) {
  std::map<std::vector<std::string>, std::vector<std::string>> trials_by_runtime;
  for (const TrialHistory& h : history.trials) {
    for (const AttemptRecord& a : h.attempts) {
      if (!a.runtime) continue;
      auto& ids = trials_by_runtime[{RuntimeDeviceText(a.runtime), RuntimeThreadsText(a.runtime),
                                     RuntimeBlasText(a.runtime)}];
      const std::string id = std::to_string(h.trial.id);
      if (ids.empty() || ids.back() != id) ids.push_back(id);
    }
  }
  TextGrid grid;
  grid.header = {"device", "threads", "BLAS (its threads)", "trials"};
  grid.numeric = {false, true, false, false};
  for (const auto& [runtime, ids] : trials_by_runtime) {
    std::string list;
    for (size_t i = 0; i < ids.size() && i < 20; ++i) list += (i > 0 ? ", " : "") + ids[i];
    if (ids.size() > 20) list += fmt::format(" and {} more", ids.size() - 20);
    grid.rows.push_back({runtime[0], runtime[1], runtime[2], list});
  }
  std::string out = "<h2>How the trials ran</h2>\n";
  return out + (grid.rows.empty() ? "<p class=\"note\">No attempt reported its runtime.</p>\n"
                                  : GridHtml(grid, "runtime"));
}

}  // namespace

StatusOr<std::string> RenderHtmlReport(const SweepHistory& history, const ReportOptions& options) {
  const SweepRecord& sweep = history.sweep;
  ResultsOptions ro = options.results;
  const ResultsOptions defaults;
  if (ro.metric == defaults.metric && !sweep.metric_name.empty()) ro.metric = sweep.metric_name;
  if (ro.goal == defaults.goal && !sweep.metric_goal.empty()) ro.goal = sweep.metric_goal;

  // A staged sweep: one stage's trials (report/stage_filter.h).
  LTSWEEP_ASSIGN_OR_RETURN(StageView stage, ChooseStage(sweep.id, history.stages, options.stage));
  std::vector<TrialHistory> stage_trials;
  if (stage.filters()) stage_trials = StageTrials(stage, history.trials);
  const std::vector<TrialHistory>& shown = stage.filters() ? stage_trials : history.trials;
  AddStageColumn(stage, /*machine_format=*/false, ro);

  StatusOr<ResultsTable> table = AggregateResults(shown, ro);
  if (!table.ok() && table.status().code() != StatusCode::kNotFound) return table.status();

  const std::string title =
      options.title.empty() ? fmt::format("Sweep {}: {}", sweep.id, sweep.name) : options.title;
  std::string out;
  out += "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n";
  out += "<meta charset=\"utf-8\"/>\n<title>" + H(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<h1>" + H(title) + "</h1>\n";
  out += SummarySection(history, ro);
  out += StagesSectionHtml(history.stages);  // report/stage_charts.h
  const size_t max_rows = static_cast<size_t>(std::max(1, options.max_table_rows));
  out += ResultsSection(table, ro, max_rows, stage);
  if (table.ok() && table->rows.size() <= max_rows) {
    out += CurvesSection(shown, *table, ro, options.max_trials_per_group_chart);
  } else if (table.ok()) {
    // Curves of the best groups only.
    SummarisedTable best = SummariseTable(*table, ro.goal, static_cast<size_t>(std::max(1, options.max_groups_charted)));
    out += CurvesSection(shown, best.top, ro, options.max_trials_per_group_chart);
  }
  if (table.ok()) out += ParallelSection(shown, ro);
  StatusOr<size_t> best = FindBestTrial(shown, ro);
  if (best.ok()) out += BestTrialSection(shown[*best], ro);
  out += StoppedSection(history, ro);
  out += RuntimeSection(history);
  out += FailedSection(history, max_rows);
  if (!options.footer.empty()) out += "<p class=\"note\">" + H(options.footer) + "</p>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace ltsweep::report
