#include "report/parallel_coords.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/config_schema.h"
#include "report/aggregate.h"

namespace ltsweep::report {

namespace {

std::string Num(double v) { return fmt::format("{:.1f}", v); }

// One axis: where a trial's value sits on it, from 0 (bottom) to 1 (top).
struct Axis {
  std::string name;
  bool numeric = true;
  bool log = false;
  double lo = 0, hi = 1;
  std::vector<std::string> categories;  // categorical axes, bottom to top

  double Position(const nlohmann::json* v) const {
    if (v == nullptr) return -1;
    if (numeric) {
      if (!v->is_number()) return -1;
      double x = v->get<double>();
      if (log) x = std::log10(x);
      return hi > lo ? (x - lo) / (hi - lo) : 0.5;
    }
    const std::string text = v->is_string() ? v->get<std::string>() : v->dump();
    auto it = std::find(categories.begin(), categories.end(), text);
    if (it == categories.end()) return -1;
    return categories.size() < 2 ? 0.5 : static_cast<double>(it - categories.begin()) / (categories.size() - 1);
  }
};

std::string ValueText(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

Axis MakeAxis(const std::string& key, const std::vector<ParallelTrial>& trials) {
  Axis axis;
  axis.name = key;
  std::vector<double> numbers;
  std::set<std::string> texts;
  for (const ParallelTrial& t : trials) {
    const nlohmann::json* v = GetPath(t.config, key);
    if (v == nullptr) continue;
    if (v->is_number()) numbers.push_back(v->get<double>());
    else axis.numeric = false;
    texts.insert(ValueText(*v));
  }
  if (!axis.numeric || numbers.empty()) {
    axis.numeric = false;
    axis.categories.assign(texts.begin(), texts.end());
    return axis;
  }
  const auto [mn, mx] = std::minmax_element(numbers.begin(), numbers.end());
  axis.log = *mn > 0 && *mx / *mn >= 100;
  axis.lo = axis.log ? std::log10(*mn) : *mn;
  axis.hi = axis.log ? std::log10(*mx) : *mx;
  return axis;
}

std::vector<std::string> VaryingKeys(const std::vector<ParallelTrial>& trials) {
  std::map<std::string, std::set<std::string>> values;
  for (const ParallelTrial& t : trials) {
    for (const auto& [k, v] : FlattenConfig(t.config)) values[k].insert(v.dump());
  }
  std::vector<std::string> keys;
  for (const auto& [k, vs] : values) {
    if (k != "train.seed" && vs.size() > 1) keys.push_back(k);
  }
  return keys;
}

// Blue (best) to red (worst).
std::string RankColor(double rank) {
  const int r = static_cast<int>(0x1f + (0xd6 - 0x1f) * rank);
  const int g = static_cast<int>(0x77 + (0x27 - 0x77) * rank);
  const int b = static_cast<int>(0xb4 + (0x28 - 0xb4) * rank);
  return fmt::format("#{:02x}{:02x}{:02x}", r, g, b);
}

std::string AxisTicks(const Axis& axis, double x, double top, double ph, double scale, const std::string& unit) {
  std::string out;
  auto label = [&](double pos, const std::string& text) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\">{}</text>\n", Num(x + 4), Num(top + ph - pos * ph + 3),
                       XmlEscape(text));
  };
  if (!axis.numeric) {
    for (size_t i = 0; i < axis.categories.size(); ++i) {
      label(axis.categories.size() < 2 ? 0.5 : static_cast<double>(i) / (axis.categories.size() - 1), axis.categories[i]);
    }
    return out;
  }
  auto text = [&](double v) {
    const double real = axis.log ? std::pow(10.0, v) : v;
    return fmt::format("{:.4g}{}", real * scale, unit);
  };
  if (axis.hi > axis.lo) {
    label(0, text(axis.lo));
    label(0.5, text((axis.lo + axis.hi) / 2));
    label(1, text(axis.hi));
  } else {
    label(0.5, text(axis.lo));
  }
  return out;
}

}  // namespace

std::string ParallelCoordinatesSvg(const std::vector<ParallelTrial>& trials, const ParallelOptions& options) {
  const ChartOptions& o = options.chart;
  std::vector<std::string> keys = options.keys.empty() ? VaryingKeys(trials) : options.keys;
  std::vector<Axis> axes;
  for (const std::string& k : keys) axes.push_back(MakeAxis(k, trials));
  // The metric axis: oriented so that the best value is at the top.
  Axis metric;
  metric.name = options.metric + (options.percent ? " (%)" : "");
  std::vector<double> values;
  for (const ParallelTrial& t : trials) {
    if (std::isfinite(t.value)) values.push_back(t.value);
  }
  if (!values.empty()) {
    const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
    metric.lo = *mn;
    metric.hi = *mx;
  }
  const bool minimize = options.goal != "maximize";

  const double left = 40, right = 120, top = o.title.empty() ? 44 : 62, bottom = 24;
  const double pw = o.width - left - right, ph = o.height - top - bottom;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\" class=\"parallel\">\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n",
      o.width, o.height);
  if (!o.title.empty()) {
    out += fmt::format("<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
                       Num(o.width / 2.0), XmlEscape(o.title));
  }
  if (values.empty() || axes.empty()) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#808080\">{}</text>\n</svg>\n",
                       Num(o.width / 2.0), Num(o.height / 2.0),
                       values.empty() ? "no trial has a value of the metric yet" : "no parameter varies");
    return out;
  }
  const size_t n_axes = axes.size() + 1;
  auto ax_x = [&](size_t i) { return left + pw * static_cast<double>(i) / static_cast<double>(n_axes - 1); };
  auto metric_pos = [&](double v) {
    const double p = metric.hi > metric.lo ? (v - metric.lo) / (metric.hi - metric.lo) : 0.5;
    return minimize ? 1 - p : p;
  };
  // Lines, worst first so the best ends on top.
  std::vector<size_t> order;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (std::isfinite(trials[i].value)) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return minimize ? trials[a].value > trials[b].value : trials[a].value < trials[b].value;
  });
  const double scale = options.percent ? 100.0 : 1.0;
  for (size_t r = 0; r < order.size(); ++r) {
    const ParallelTrial& t = trials[order[r]];
    const bool best = r + 1 == order.size();
    const double rank = 1 - metric_pos(t.value);
    std::string d;
    bool pen = false;
    for (size_t a = 0; a < n_axes; ++a) {
      const double pos = a < axes.size() ? axes[a].Position(GetPath(t.config, axes[a].name)) : metric_pos(t.value);
      if (pos < 0) {
        pen = false;
        continue;
      }
      d += fmt::format("{}{} {} ", pen ? "L" : "M", Num(ax_x(a)), Num(top + ph - pos * ph));
      pen = true;
    }
    if (d.empty()) continue;
    d.pop_back();
    out += fmt::format(
        "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-opacity=\"{}\"><title>{}</title></path>\n", d,
        RankColor(rank), best ? "3" : "1.2", best ? "1" : "0.55",
        XmlEscape(fmt::format("trial {}: {} = {:.4g}{}{}", t.trial_id, options.metric, t.value * scale,
                              options.percent ? "%" : "", best ? " (best)" : "")));
  }
  // Axes on top of the lines, with their names and ticks.
  for (size_t a = 0; a < n_axes; ++a) {
    const double x = ax_x(a);
    const Axis& axis = a < axes.size() ? axes[a] : metric;
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000000\"/>\n", Num(x), Num(top),
                       Num(top + ph));
    // Names alternate between two rows so that long keys do not overlap.
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n", Num(x),
                       Num(top - (a % 2 == 0 ? 10 : 26)), XmlEscape(axis.name + (axis.log ? " (log)" : "")));
    if (a < axes.size()) {
      out += AxisTicks(axis, x, top, ph, 1.0, "");
    } else {
      // The metric in display units, its best end on top.
      out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\">{:.4g} best</text>\n", Num(x + 4), Num(top + 3),
                         (minimize ? metric.lo : metric.hi) * scale);
      out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\">{:.4g}</text>\n", Num(x + 4), Num(top + ph + 3),
                         (minimize ? metric.hi : metric.lo) * scale);
    }
  }
  out += "</svg>\n";
  return out;
}

}  // namespace ltsweep::report
