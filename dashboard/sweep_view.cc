#include "dashboard/sweep_view.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "report/aggregate.h"
#include "report/html_parts.h"
#include "report/parallel_coords.h"
#include "report/stage_charts.h"
#include "report/stage_filter.h"
#include "report/svg.h"
#include "report/table_summary.h"
#include "report/trial_fields.h"

namespace ltsweep::dashboard {

namespace {

using report::ResultsOptions;
using report::ResultsTable;

// Group sections charted: each group's best trial on one set of charts.
constexpr size_t kMaxGroupsCharted = 10;

ResultsOptions OptionsFor(const SweepRecord& sweep) {
  ResultsOptions ro;
  if (!sweep.metric_name.empty()) ro.metric = sweep.metric_name;
  if (!sweep.metric_goal.empty()) ro.goal = sweep.metric_goal;
  return ro;
}

// Sweeps too large for every history: each finished trial with its best
// value as a one-point series (the value the results table reduces a trial
// to), read in pages.
StatusOr<std::vector<TrialHistory>> BestValueTrials(Store& store, int64_t sweep_id, const std::string& metric) {
  std::vector<TrialHistory> out;
  TrialPageRequest request;
  request.sweep_id = sweep_id;
  request.limit = 2000;
  request.states = {TrialState::kSucceeded, TrialState::kLinked};
  request.with_config = true;
  while (true) {
    LTSWEEP_ASSIGN_OR_RETURN(TrialPage page, store.ListTrialsPage(request));
    for (TrialHistory& t : page.trials) {
      if (t.trial.best_metric) t.metrics.scalars[metric] = {{t.trial.best_epoch.value_or(0), *t.trial.best_metric}};
      out.push_back(std::move(t));
    }
    if (!page.next_after_ordinal) break;
    request.after_ordinal = *page.next_after_ordinal;
  }
  return out;
}

// Epochs the unfinished trials have finished so far (their latest epoch + 1).
int64_t RunningEpochs(const std::vector<TrialHistory>& trials) {
  int64_t done = 0;
  for (const TrialHistory& t : trials) {
    if (t.trial.state != TrialState::kRunning && t.trial.state != TrialState::kLeased) continue;
    int last = -1;
    for (const auto& [name, series] : t.metrics.scalars) {
      if (!series.empty()) last = std::max(last, series.back().first);
    }
    done += last + 1;
  }
  return done;
}

// The history of trial `id`: from `trials` when they are whole histories,
// else read.
StatusOr<TrialHistory> HistoryOf(Store& store, const std::vector<TrialHistory>& trials, bool whole, int64_t id) {
  if (whole) {
    for (const TrialHistory& t : trials) {
      if (t.trial.id == id) return t;
    }
  }
  return store.GetTrialHistory(id);
}

StatusOr<std::vector<std::string>> GroupCurves(Store& store, const std::vector<TrialHistory>& trials, bool whole,
                                               const ResultsTable& table, const ResultsOptions& ro) {
  std::map<int64_t, const TrialHistory*> by_id;
  for (const TrialHistory& t : trials) by_id[t.trial.id] = &t;
  std::vector<TrialHistory> reps;
  std::vector<std::string> labels;
  for (const report::ResultsRow& row : table.rows) {
    if (reps.size() >= kMaxGroupsCharted) break;
    int64_t best_id = 0;
    std::optional<report::TrialValue> best_v;
    for (int64_t id : row.trial_ids) {
      auto v = report::ReduceTrial(*by_id[id], ro.metric, ro.goal, true);
      if (v && (!best_v || (ro.goal == "maximize" ? v->value > best_v->value : v->value < best_v->value))) {
        best_id = id;
        best_v = v;
      }
    }
    if (!best_v) continue;
    LTSWEEP_ASSIGN_OR_RETURN(TrialHistory h, HistoryOf(store, trials, whole, best_id));
    reps.push_back(std::move(h));
    labels.push_back(report::GroupLabel(table.key_columns, row.key_values, best_id));
  }
  std::vector<const TrialHistory*> ptrs;
  for (const TrialHistory& t : reps) ptrs.push_back(&t);
  return report::LearningCurveCharts(ptrs, labels);
}

std::string BestHtml(const TrialHistory& t, const ResultsOptions& ro) {
  auto v = report::ReduceTrial(t, ro.metric, ro.goal, true);
  if (!v) return "";
  const double scale = ro.percent && report::IsPercentMetric(ro.metric) ? 100.0 : 1.0;
  std::string out = fmt::format(
      "<p>Best trial <a href=\"/trials/{0}\">{0}</a>: {1} = {2:.4g}{3} at epoch {4}.</p>\n", t.trial.id,
      report::XmlEscape(ro.metric), v->value * scale, scale != 1.0 ? "%" : "", v->epoch);
  out += report::ChartsHtml(report::BestTrialCharts(t, v->epoch));
  out += report::ConfigTableHtml(report::ConfigEntriesChangedFirst(report::TrialConfig(t)));
  return out;
}

}  // namespace

StatusOr<nlohmann::json> BuildSweepView(Store& store, const SweepInfo& info, const DashboardOptions& options) {
  const ResultsOptions ro = OptionsFor(info.sweep);
  const bool whole = info.counts.total() <= options.max_history_trials;
  std::vector<TrialHistory> trials;
  if (whole) {
    LTSWEEP_ASSIGN_OR_RETURN(SweepHistory history, store.GetSweepHistory(info.sweep.id));
    trials = std::move(history.trials);
  } else {
    LTSWEEP_ASSIGN_OR_RETURN(trials, BestValueTrials(store, info.sweep.id, ro.metric));
  }
  // A staged sweep: its latest stage with trials (report/stage_filter.h).
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<StageRecord> stages, store.ListStages(info.sweep.id));
  LTSWEEP_ASSIGN_OR_RETURN(report::StageView stage, report::ChooseStage(info.sweep.id, stages, {}));
  report::KeepStageTrials(stage, trials);
  nlohmann::json view;
  view["stages_html"] = report::StagesSectionHtml(stages);  // "" without stages
  view["basis"] = whole ? "histories" : "best values";
  view["metric"] = ro.metric;
  view["goal"] = ro.goal;
  view["epochs_running_done"] = whole ? RunningEpochs(trials) : 0;

  StatusOr<ResultsTable> table = report::AggregateResults(trials, ro);
  if (!table.ok() && table.status().code() != StatusCode::kNotFound) return table.status();
  const size_t max_rows = static_cast<size_t>(std::max(1, options.max_table_rows));
  const std::string note = stage.Note(/*with_flags=*/false);
  view["results_html"] = (note.empty() ? "" : "<p class=\"note\">" + report::XmlEscape(note) + "</p>\n") +
                         report::ResultsTableHtml(table, ro, max_rows);
  view["curves"] = nlohmann::json::array();
  if (table.ok()) {
    const ResultsTable charted =
        table->rows.size() <= kMaxGroupsCharted ? *table : report::SummariseTable(*table, ro.goal, kMaxGroupsCharted).top;
    LTSWEEP_ASSIGN_OR_RETURN(std::vector<std::string> curves, GroupCurves(store, trials, whole, charted, ro));
    view["curves"] = curves;
  }
  report::ParallelOptions po;
  po.metric = ro.metric;
  po.goal = ro.goal;
  po.percent = ro.percent && report::IsPercentMetric(ro.metric);
  const auto lines = report::ParallelTrialsOf(trials, ro, static_cast<size_t>(std::max(1, options.max_parallel_lines)));
  view["parallel_svg"] = report::ParallelCoordinatesSvg(lines, po);
  view["parallel_lines"] = lines.size();

  view["best_trial"] = nullptr;
  view["best_html"] = "<p class=\"note\">No trial has finished yet.</p>";
  StatusOr<size_t> best = report::FindBestTrial(trials, ro);
  if (best.ok()) {
    LTSWEEP_ASSIGN_OR_RETURN(TrialHistory h, HistoryOf(store, trials, whole, trials[*best].trial.id));
    view["best_trial"] = h.trial.id;
    view["best_html"] = BestHtml(h, ro);
  }
  return view;
}

}  // namespace ltsweep::dashboard
