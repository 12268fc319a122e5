#include "dashboard/trial_view.h"

#include <fmt/format.h>

#include "common/utc_time.h"
#include "report/html_parts.h"
#include "report/svg.h"
#include "report/table_format.h"
#include "report/trial_fields.h"

namespace ltsweep::dashboard {

namespace {

using report::XmlEscape;

std::string MetricText(const std::optional<double>& v) { return v ? fmt::format("{:.4g}", *v) : ""; }

std::string SummaryHtml(const TrialHistory& h) {
  const TrialRecord& t = h.trial;
  report::TextGrid grid;
  grid.header = {"field", "value"};
  grid.rows.push_back({"state", TrialStateName(t.state)});
  grid.rows.push_back({"ordinal", std::to_string(t.ordinal)});
  grid.rows.push_back({"attempts", std::to_string(t.attempts)});
  grid.rows.push_back({"worker", t.worker_id});
  grid.rows.push_back({"best metric", MetricText(t.best_metric) +
                                          (t.best_epoch ? fmt::format(" (epoch {})", *t.best_epoch) : "")});
  grid.rows.push_back({"last metric", MetricText(t.last_metric)});
  grid.rows.push_back({"config hash", t.config_hash});
  if (t.reused_from_trial_id) grid.rows.push_back({"linked to trial", std::to_string(*t.reused_from_trial_id)});
  if (t.started_ms) grid.rows.push_back({"started", FormatUtcSeconds(*t.started_ms)});
  if (t.finished_ms) grid.rows.push_back({"finished", FormatUtcSeconds(*t.finished_ms)});
  if (!t.error.empty()) grid.rows.push_back({"error", t.error});
  return report::GridHtml(grid, "summary");
}

std::string AttemptsHtml(const TrialHistory& h) {
  if (h.attempts.empty()) return "<p class=\"note\">Not started yet.</p>";
  report::TextGrid grid;
  grid.header = {"attempt", "state", "outcome", "worker", "started", "ended", "exit", "device", "threads", "BLAS", "error"};
  grid.numeric = {true, false, false, false, false, false, true, false, true, false, false};
  for (const AttemptRecord& a : h.attempts) {
    grid.rows.push_back({std::to_string(a.attempt), AttemptStateName(a.state), a.outcome, a.worker_id,
                         FormatUtcSeconds(a.started_ms), a.ended_ms ? FormatUtcSeconds(*a.ended_ms) : "",
                         a.exit_code ? std::to_string(*a.exit_code) : "", report::RuntimeDeviceText(a.runtime),
                         report::RuntimeThreadsText(a.runtime), report::RuntimeBlasText(a.runtime), a.error});
  }
  return report::GridHtml(grid, "attempts");
}

std::string EarlyStopHtml(const TrialHistory& h) {
  if (h.early_stop.empty()) return "<p class=\"note\">No early-termination decision about this trial.</p>";
  report::TextGrid grid;
  grid.header = {"attempt", "epoch", "rung (epochs)", "verdict", "value", "threshold", "compared", "why"};
  grid.numeric = {true, true, true, false, true, true, true, false};
  for (const EarlyStopRecord& r : h.early_stop) {
    grid.rows.push_back({std::to_string(r.attempt), std::to_string(r.epoch),
                         r.rung ? fmt::format("{} ({})", *r.rung, r.rung_epochs) : "",
                         r.stop ? "stop" : (r.guarded ? "continue (DRW guard)" : "continue"),
                         fmt::format("{:.4g}", r.value), fmt::format("{:.4g}", r.threshold),
                         std::to_string(r.compared), r.compared_with});
  }
  return report::GridHtml(grid, "early-stop");
}

// TRIAL LOGS: the place for the trainer's stderr of each attempt. The logs
// feature (issue 16, "Trial logs": a GetTrialLogs RPC and its store table)
// fills it through the store once it lands; until then the page says where
// the logs are.
std::string LogsHtml(const TrialHistory& h) {
  std::string out =
      "<p class=\"note\">This coordinator does not keep trainer logs yet. Each attempt's trainer stderr is on its "
      "worker, under the worker's <code>--work-dir</code>:</p>\n<ul>\n";
  for (const AttemptRecord& a : h.attempts) {
    out += fmt::format("<li>attempt {} on {}: <code>trial-{}-a{}/stderr.log</code></li>\n", a.attempt,
                       XmlEscape(a.worker_id.empty() ? "(no worker)" : a.worker_id), h.trial.id, a.attempt);
  }
  return out + "</ul>\n";
}

std::vector<std::string> Curves(const TrialHistory& h) {
  return report::LearningCurveCharts({&h}, {fmt::format("trial {}", h.trial.id)});
}

}  // namespace

StatusOr<nlohmann::json> BuildTrialView(Store& store, int64_t trial_id) {
  LTSWEEP_ASSIGN_OR_RETURN(TrialHistory h, store.GetTrialHistory(trial_id));
  nlohmann::json view;
  view["id"] = h.trial.id;
  view["sweep_id"] = h.trial.sweep_id;
  view["state"] = TrialStateName(h.trial.state);
  view["attempts"] = h.trial.attempts;
  size_t rows = 0;
  for (const auto& [name, series] : h.metrics.scalars) rows += series.size();
  view["version"] = fmt::format("{}-{}-{}-{}-{}", TrialStateName(h.trial.state), h.trial.attempts, h.trial.updated_ms,
                                rows, h.early_stop.size());
  view["summary_html"] = SummaryHtml(h);
  view["config_html"] = report::ConfigTableHtml(report::ConfigEntriesChangedFirst(report::TrialConfig(h)));
  view["attempts_html"] = AttemptsHtml(h);
  view["curves"] = Curves(h);
  int epoch = h.trial.best_epoch.value_or(-1);
  view["charts_html"] = report::ChartsHtml(report::BestTrialCharts(h, epoch));
  view["early_stop_html"] = EarlyStopHtml(h);
  view["logs_html"] = LogsHtml(h);
  return view;
}

}  // namespace ltsweep::dashboard
