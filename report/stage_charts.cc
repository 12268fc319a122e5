#include "report/stage_charts.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/config_schema.h"
#include "report/svg.h"

namespace ltsweep::report {

namespace {

double Num(const Json& v) {
  return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// A vertical dashed line at x from y0 to y1, as a series of its own.
LineSeries Marker(const std::string& label, double x, double y0, double y1, int color) {
  return LineSeries{label, {{x, y0}, {x, y1}}, color, true};
}

std::vector<std::string> RangeTestCharts(const Json& found, const Json& evidence) {
  std::vector<std::pair<double, double>> acc, smooth, loss;
  double lo = 1, hi = 0;
  for (const Json& p : evidence.value("curve", Json::array())) {
    const double x = std::log10(Num(p.value("lr", Json())));
    acc.push_back({x, Num(p.value("accuracy", Json()))});
    smooth.push_back({x, Num(p.value("smoothed", Json()))});
    loss.push_back({x, Num(p.value("loss", Json()))});
    for (double y : {acc.back().second, smooth.back().second})
      if (std::isfinite(y)) lo = std::min(lo, y), hi = std::max(hi, y);
  }
  const double min_lr = Num(found.value("min_lr", Json())), max_lr = Num(found.value("max_lr", Json()));
  // The per-step curve (training-batch accuracy and loss) when the rule read
  // it (evidence "curve_kind": "per_step"), else one validation point per epoch.
  const bool per_step = evidence.value("curve_kind", std::string()) == "per_step";
  ChartOptions o;
  o.title = per_step ? "LR range test: training-batch accuracy per step" : "LR range test: validation accuracy";
  o.x_label = "lr (log10: -1 is 0.1)";
  o.y_label = "accuracy";
  const std::string smooth_label = fmt::format("moving average ({})", evidence.value("smooth", 3));
  std::vector<LineSeries> series = {{"accuracy", acc, 0, false}, {smooth_label, smooth, 1, false}};
  series.push_back(Marker(fmt::format("min_lr {:.4g}", min_lr), std::log10(min_lr), lo, hi, 2));
  series.push_back(Marker(fmt::format("max_lr {:.4g}", max_lr), std::log10(max_lr), lo, hi, 3));
  std::vector<std::string> charts = {LineChartSvg(series, o)};
  double llo = std::numeric_limits<double>::infinity(), lhi = -llo;
  for (const auto& [x, y] : loss)
    if (std::isfinite(y)) llo = std::min(llo, y), lhi = std::max(lhi, y);
  if (std::isfinite(llo)) {
    o.title = per_step ? "LR range test: training-batch loss per step" : "LR range test: validation loss";
    o.y_label = "loss";
    charts.push_back(LineChartSvg({{per_step ? "batch loss" : "val_loss", loss, 0, false},
                                   Marker("min_lr", std::log10(min_lr), llo, lhi, 2),
                                   Marker("max_lr", std::log10(max_lr), llo, lhi, 3)},
                                  o));
  }
  return charts;
}

std::vector<std::string> PlateauCharts(const Json& found, const Json& evidence) {
  std::vector<std::pair<double, double>> val, train;
  for (const Json& p : evidence.value("curve", Json::array())) {
    const double e = Num(p.value("epoch", Json()));
    val.push_back({e, Num(p.value("val_error", Json()))});
    train.push_back({e, Num(p.value("train_loss", Json()))});
  }
  const double drw = Num(found.value("drw_epoch", Json()));
  // Two charts: the training loss (LDAM's is ~10x the error) would flatten the error.
  auto chart = [&](const char* title, const char* name, const std::vector<std::pair<double, double>>& points,
                   int color) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& [x, y] : points)
      if (std::isfinite(y)) lo = std::min(lo, y), hi = std::max(hi, y);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    ChartOptions o;
    o.title = title;
    o.y_label = name;
    return LineChartSvg({{name, points, color, false}, Marker(fmt::format("drw_epoch {:g}", drw), drw, lo, hi, 3)}, o);
  };
  return {chart("Constant-lr run: validation error (stops improving)", "val_error", val, 0),
          chart("Constant-lr run: training loss (still falls)", "train_loss", train, 1)};
}

std::string H(const std::string& s) { return XmlEscape(s); }

}  // namespace

std::vector<std::string> StageCharts(const StageRecord& stage) {
  const Json found = Json::parse(stage.found_json.empty() ? "{}" : stage.found_json, nullptr, false);
  const Json evidence = Json::parse(stage.evidence_json.empty() ? "{}" : stage.evidence_json, nullptr, false);
  if (!found.is_object() || !evidence.is_object() || !evidence.contains("curve")) return {};
  if (stage.find == "lr_bounds" && found.contains("max_lr")) return RangeTestCharts(found, evidence);
  if (stage.find == "plateau" && found.contains("drw_epoch")) return PlateauCharts(found, evidence);
  return {};
}

std::string StagesSectionHtml(const std::vector<StageRecord>& stages) {
  if (stages.empty()) return "";
  std::string out = "<h2>Stages</h2>\n<table class=\"stages\">\n<thead><tr><th>stage</th><th>find</th><th>state</th>"
                    "<th>trials</th><th>found</th><th>rule</th></tr></thead>\n<tbody>\n";
  for (const StageRecord& s : stages) {
    const Json evidence = Json::parse(s.evidence_json.empty() ? "{}" : s.evidence_json, nullptr, false);
    std::string rule = evidence.is_object() ? evidence.value("rule", std::string()) : "";
    if (!s.error.empty()) rule = s.error;
    out += fmt::format("<tr><td>{}. {}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td>"
                       "<td>{}</td></tr>\n",
                       s.stage + 1, H(s.name), H(s.find.empty() ? "-" : s.find), H(s.state), s.n_trials,
                       H(s.found_json.empty() || s.found_json == "{}" ? "-" : s.found_json), H(rule));
  }
  out += "</tbody>\n</table>\n";
  for (const StageRecord& s : stages) {
    const std::vector<std::string> charts = StageCharts(s);
    if (charts.empty()) continue;
    out += "<h3>Stage " + std::to_string(s.stage + 1) + ": " + H(s.name) + "</h3>\n<div class=\"charts\">\n";
    for (const std::string& c : charts) out += "<figure>\n" + c + "</figure>\n";
    out += "</div>\n";
  }
  return out;
}

}  // namespace ltsweep::report
