#include "report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <fmt/format.h>

#include "report/trial_fields.h"

namespace ltsweep::report {

namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string Num(double v) { return fmt::format("{:.1f}", v); }

std::string TickText(double v) {
  if (std::fabs(v) < 1e-12) return "0";
  const double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.0e}", v);
  return fmt::format("{:g}", v);
}

// At most `max_chars` code points, with an ellipsis when cut.
std::string Shorten(const std::string& text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) return text.substr(0, i) + "\u2026";
      ++chars;
    }
  }
  return text;
}

size_t DisplayChars(const std::string& text) {
  size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return chars;
}

std::string SvgOpen(int width, int height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n",
      width, height);
}

std::string Title(const std::string& title, double width) {
  if (title.empty()) return "";
  return fmt::format(
      "<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
      Num(width / 2), XmlEscape(title));
}

struct LegendEntry {
  std::string label;
  int color = 0;
  bool dashed = false;
  bool box = false;  // a filled square (bar charts) instead of a line
};

constexpr double kLegendRowHeight = 18;
constexpr double kLegendCharWidth = 6.8;  // about, for 12 px sans-serif
constexpr double kLegendKeyWidth = 28;    // the line or box before the text
constexpr double kLegendGap = 14;

// Legend labels are never cut: an entry takes the width its text needs, the
// entries flow left to right and wrap to the next row, and a label wider
// than the chart is broken into lines (at spaces where it can be).
struct LegendSlot {
  double x = 0;
  int row = 0;
  std::vector<std::string> lines;
};

std::vector<std::string> WrapLabel(const std::string& text, size_t max_chars) {
  std::vector<std::string> lines;
  std::string line;
  size_t line_chars = 0, last_space = std::string::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_char && line_chars == max_chars) {
      if (last_space != std::string::npos && last_space > 0) {
        lines.push_back(line.substr(0, last_space));
        line = line.substr(last_space + 1);
        line_chars = DisplayChars(line);
      } else {
        lines.push_back(line);
        line.clear();
        line_chars = 0;
      }
      last_space = std::string::npos;
    }
    if (starts_char) ++line_chars;
    if (text[i] == ' ') last_space = line.size();
    line += text[i];
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::vector<LegendSlot> LayoutLegend(const std::vector<LegendEntry>& entries, double width, int* rows) {
  std::vector<LegendSlot> slots;
  const size_t max_chars =
      std::max<size_t>(8, static_cast<size_t>((width - kLegendKeyWidth) / kLegendCharWidth));
  double x = 0;
  int row = 0, row_height = 1;
  for (const LegendEntry& e : entries) {
    LegendSlot slot;
    slot.lines = WrapLabel(e.label, max_chars);
    size_t widest = 0;
    for (const std::string& l : slot.lines) widest = std::max(widest, DisplayChars(l));
    const double w = kLegendKeyWidth + static_cast<double>(widest) * kLegendCharWidth + kLegendGap;
    if (x > 0 && x + w > width) {
      row += row_height;
      row_height = 1;
      x = 0;
    }
    slot.x = x;
    slot.row = row;
    row_height = std::max(row_height, static_cast<int>(slot.lines.size()));
    x += w;
    slots.push_back(std::move(slot));
  }
  *rows = entries.empty() ? 0 : row + row_height;
  return slots;
}

int LegendRows(const std::vector<LegendEntry>& entries, double width) {
  int rows = 0;
  LayoutLegend(entries, width, &rows);
  return rows;
}

std::string Legend(const std::vector<LegendEntry>& entries, double x0, double y0, double width) {
  std::string out;
  int rows = 0;
  const std::vector<LegendSlot> slots = LayoutLegend(entries, width, &rows);
  for (size_t i = 0; i < entries.size(); ++i) {
    const double x = x0 + slots[i].x;
    const double y = y0 + static_cast<double>(slots[i].row) * kLegendRowHeight;
    const LegendEntry& e = entries[i];
    if (e.box) {
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"10\" fill=\"{}\"/>\n", Num(x + 5),
                         Num(y - 9), PaletteColor(e.color));
    } else {
      out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                         Num(x), Num(y - 4), Num(x + 22), Num(y - 4), PaletteColor(e.color),
                         e.dashed ? " stroke-dasharray=\"5,3\"" : "");
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"legend\">", Num(x + kLegendKeyWidth), Num(y));
    for (size_t l = 0; l < slots[i].lines.size(); ++l) {
      out += fmt::format("<tspan x=\"{}\" dy=\"{}\">{}</tspan>", Num(x + kLegendKeyWidth), l == 0 ? "0" : Num(kLegendRowHeight),
                         XmlEscape(slots[i].lines[l]));
    }
    out += "</text>\n";
  }
  return out;
}

// Axis labels: x below the plot, y rotated at the left.
std::string AxisLabels(const ChartOptions& o, double left, double top, double pw, double ph) {
  std::string out;
  if (!o.x_label.empty()) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Num(left + pw / 2),
                       Num(top + ph + 34), XmlEscape(o.x_label));
  }
  if (!o.y_label.empty()) {
    const double cx = 16, cy = top + ph / 2;
    out += fmt::format("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" transform=\"rotate(-90 {0} {1})\">{2}</text>\n",
                       Num(cx), Num(cy), XmlEscape(o.y_label));
  }
  return out;
}

}  // namespace

const char* PaletteColor(int i) {
  const int n = static_cast<int>(sizeof(kPalette) / sizeof(kPalette[0]));
  return kPalette[((i % n) + n) % n];
}

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (c < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') break;  // not allowed in XML 1.0
        out += ch;
    }
  }
  return out;
}

std::vector<double> NiceTicks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (int k = 0; k <= 100; ++k) {
    const double t = first + k * step;
    if (t > hi + step * 1e-9) break;
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string LineChartSvg(const std::vector<LineSeries>& series, const ChartOptions& o) {
  // Data range.
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  double ymin = xmin, ymax = -xmin;
  auto usable = [&](double y) { return std::isfinite(y) && (!o.log_y || y > 0); };
  for (const LineSeries& s : series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !usable(y)) continue;
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
      ymin = std::min(ymin, y);
      ymax = std::max(ymax, y);
    }
  }
  const bool empty = !std::isfinite(xmin);
  if (empty) {
    xmin = 0, xmax = 1, ymin = o.log_y ? 1 : 0, ymax = o.log_y ? 10 : 1;
  }

  std::vector<LegendEntry> legend;
  for (const LineSeries& s : series) {
    if (!s.label.empty()) legend.push_back({s.label, s.color, s.dashed, false});
  }
  const double left = 64, right = 16, top = o.title.empty() ? 12 : 30;
  const double pw = o.width - left - right;
  const int legend_rows = LegendRows(legend, pw);
  const double total_h = o.height + legend_rows * kLegendRowHeight;
  const double ph = o.height - top - 46;

  // Scales.
  std::vector<double> yticks;
  double ylo, yhi;
  if (o.log_y) {
    double dlo = std::floor(std::log10(ymin)), dhi = std::ceil(std::log10(ymax));
    if (dhi == dlo) dhi += 1;
    ylo = dlo;
    yhi = dhi;
    for (double d = dlo; d <= dhi + 1e-9; d += 1) yticks.push_back(std::pow(10.0, d));
  } else {
    yticks = NiceTicks(ymin, ymax, 5);
    ylo = std::min(ymin, yticks.front());
    yhi = std::max(ymax, yticks.back());
    if (yhi == ylo) yhi = ylo + 1;
  }
  std::vector<double> xticks = NiceTicks(xmin, xmax, 6);
  double xlo = std::min(xmin, xticks.front()), xhi = std::max(xmax, xticks.back());
  if (xhi == xlo) xhi = xlo + 1;
  auto px = [&](double x) { return left + (x - xlo) / (xhi - xlo) * pw; };
  auto py = [&](double y) {
    const double v = o.log_y ? std::log10(y) : y;
    return top + ph - (v - ylo) / (yhi - ylo) * ph;
  };

  std::string out = SvgOpen(o.width, static_cast<int>(total_h));
  out += Title(o.title, o.width);
  // Grid and ticks.
  for (double t : yticks) {
    const double y = py(t);
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e0e0e0\"/>\n", Num(left), Num(y),
                       Num(left + pw), Num(y));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", Num(left - 6), Num(y + 4),
                       TickText(t));
  }
  for (double t : xticks) {
    const double x = px(t);
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#000000\"/>\n", Num(x), Num(top + ph),
                       Num(x), Num(top + ph + 5));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Num(x), Num(top + ph + 18),
                       TickText(t));
  }
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#000000\"/>\n",
                     Num(left), Num(top), Num(pw), Num(ph));
  out += AxisLabels(o, left, top, pw, ph);
  if (empty) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#808080\">no data</text>\n",
                       Num(left + pw / 2), Num(top + ph / 2));
  }
  // Lines.
  for (const LineSeries& s : series) {
    std::string d;
    bool pen_down = false;
    size_t points = 0;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !usable(y)) {
        pen_down = false;
        continue;
      }
      d += fmt::format("{}{} {} ", pen_down ? "L" : "M", Num(px(x)), Num(py(y)));
      pen_down = true;
      ++points;
    }
    if (points == 0) continue;
    out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{}>", d.substr(0, d.size() - 1),
                       PaletteColor(s.color), s.dashed ? " stroke-dasharray=\"5,3\"" : "");
    out += fmt::format("<title>{}</title></path>\n", XmlEscape(s.label));
    if (points == 1) {  // a single epoch is invisible as a path: mark it
      for (const auto& [x, y] : s.points) {
        if (std::isfinite(x) && usable(y)) {
          out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"/>\n", Num(px(x)), Num(py(y)),
                             PaletteColor(s.color));
        }
      }
    }
  }
  out += Legend(legend, left, o.height + 4, pw);
  out += "</svg>\n";
  return out;
}

std::string BarChartSvg(const std::vector<std::string>& categories, const std::vector<std::string>& series_labels,
                        const std::vector<std::vector<double>>& values, const ChartOptions& o) {
  double ymax = 0;
  for (const auto& s : values) {
    for (double v : s) {
      if (std::isfinite(v)) ymax = std::max(ymax, v);
    }
  }
  std::vector<double> yticks = NiceTicks(0, ymax > 0 ? ymax : 1, 5);
  const double yhi = std::max(ymax, yticks.back());
  std::vector<LegendEntry> legend;
  if (values.size() > 1) {
    for (size_t s = 0; s < series_labels.size(); ++s) legend.push_back({series_labels[s], static_cast<int>(s), false, true});
  }
  const double left = 64, right = 16, top = o.title.empty() ? 12 : 30;
  const double pw = o.width - left - right;
  const double ph = o.height - top - 46;
  const int legend_rows = LegendRows(legend, pw);
  std::string out = SvgOpen(o.width, static_cast<int>(o.height + legend_rows * kLegendRowHeight));
  out += Title(o.title, o.width);
  auto py = [&](double y) { return top + ph - y / (yhi > 0 ? yhi : 1) * ph; };
  for (double t : yticks) {
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e0e0e0\"/>\n", Num(left), Num(py(t)),
                       Num(left + pw), Num(py(t)));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", Num(left - 6), Num(py(t) + 4),
                       TickText(t));
  }
  const size_t nc = std::max<size_t>(1, categories.size());
  const size_t ns = std::max<size_t>(1, values.size());
  const double group_w = pw / static_cast<double>(nc);
  const double bar_w = group_w * 0.8 / static_cast<double>(ns);
  for (size_t c = 0; c < categories.size(); ++c) {
    const double gx = left + group_w * static_cast<double>(c) + group_w * 0.1;
    for (size_t s = 0; s < values.size(); ++s) {
      if (c >= values[s].size() || !std::isfinite(values[s][c])) continue;
      const double v = values[s][c];
      const double x = gx + bar_w * static_cast<double>(s);
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                         Num(x), Num(py(v)), Num(std::max(1.0, bar_w - 1)), Num(top + ph - py(v)),
                         PaletteColor(static_cast<int>(s)),
                         XmlEscape(fmt::format("{}{}: {:.4g}", s < series_labels.size() ? series_labels[s] + " " : "",
                                               categories[c], v)));
    }
    // Labels shortened to what fits under the group (about 6 px a character).
    const size_t fit = static_cast<size_t>(std::max(3.0, group_w / 6.5));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>\n",
                       Num(gx + group_w * 0.4), Num(top + ph + 16), XmlEscape(Shorten(categories[c], fit)));
  }
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#000000\"/>\n",
                     Num(left), Num(top), Num(pw), Num(ph));
  out += AxisLabels(o, left, top, pw, ph);
  out += Legend(legend, left, o.height + 4, pw);
  out += "</svg>\n";
  return out;
}

std::string HeatmapSvg(const std::vector<std::vector<double>>& matrix, const std::vector<std::string>& labels,
                       const ChartOptions& o) {
  const size_t n = matrix.size();
  const double left = 100, top = o.title.empty() ? 12 : 30;
  const double cell = n == 0 ? 0 : std::min(48.0, std::max(14.0, (o.width - left - 16) / static_cast<double>(n)));
  const double side = cell * static_cast<double>(n);
  const int width = static_cast<int>(std::max<double>(o.width, left + side + 16));
  const int height = static_cast<int>(top + side + 60);
  std::string out = SvgOpen(width, height);
  out += Title(o.title, width);
  auto label = [&](size_t i) { return i < labels.size() ? labels[i] : std::to_string(i); };
  for (size_t r = 0; r < n; ++r) {
    double row_sum = 0;
    for (double v : matrix[r]) row_sum += std::isfinite(v) ? v : 0;
    for (size_t c = 0; c < matrix[r].size() && c < n; ++c) {
      const double v = matrix[r][c];
      const double frac = row_sum > 0 && std::isfinite(v) ? v / row_sum : 0;
      // White to dark blue by the share of the true class.
      const int shade = static_cast<int>(std::lround(255 * (1 - frac)));
      const std::string fill = fmt::format("#{:02x}{:02x}ff", shade, shade);
      const double x = left + cell * static_cast<double>(c), y = top + cell * static_cast<double>(r);
      out += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#ffffff\"><title>{}</title></rect>\n",
          Num(x), Num(y), Num(cell), Num(cell), fill,
          XmlEscape(fmt::format("true {} predicted {}: {:g}", label(r), label(c), v)));
      if (cell >= 24) {
        out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{}\">{:g}</text>\n",
                           Num(x + cell / 2), Num(y + cell / 2 + 4), frac > 0.5 ? "#ffffff" : "#000000", v);
      }
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", Num(left - 6),
                       Num(top + cell * static_cast<double>(r) + cell / 2 + 4), XmlEscape(Shorten(label(r), 12)));
  }
  for (size_t c = 0; c < n; ++c) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>\n",
                       Num(left + cell * static_cast<double>(c) + cell / 2), Num(top + side + 14),
                       XmlEscape(Shorten(label(c), 6)));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">predicted class</text>\n", Num(left + side / 2),
                     Num(top + side + 34));
  out += fmt::format("<text x=\"12\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {0})\">true class</text>\n",
                     Num(top + side / 2));
  out += "</svg>\n";
  return out;
}

namespace {

std::vector<std::pair<double, double>> Points(const TrialHistory& t, const std::string& name, double scale) {
  std::vector<std::pair<double, double>> pts;
  const Series* s = FindSeries(t, name);
  if (s == nullptr) return pts;
  for (const auto& [e, v] : *s) pts.emplace_back(static_cast<double>(e), v * scale);
  return pts;
}

}  // namespace

std::vector<std::string> LearningCurveCharts(const std::vector<const TrialHistory*>& trials,
                                             const std::vector<std::string>& labels) {
  auto label = [&](size_t i) {
    return i < labels.size() ? labels[i] : fmt::format("trial {}", trials[i]->trial.id);
  };
  auto any = [&](const std::string& name) {
    for (const TrialHistory* t : trials) {
      if (FindSeries(*t, name) != nullptr) return true;
    }
    return false;
  };
  std::vector<std::string> charts;
  if (any("train_loss") || any("val_loss")) {
    std::vector<LineSeries> s;
    for (size_t i = 0; i < trials.size(); ++i) {
      const int color = static_cast<int>(i);
      if (FindSeries(*trials[i], "train_loss")) s.push_back({label(i) + " train", Points(*trials[i], "train_loss", 1), color, true});
      if (FindSeries(*trials[i], "val_loss")) s.push_back({label(i) + " val", Points(*trials[i], "val_loss", 1), color, false});
    }
    ChartOptions o;
    o.title = "Loss (train dashed, val solid)";
    o.y_label = "loss";
    charts.push_back(LineChartSvg(s, o));
  }
  for (const char* name : {"val_error", "train_error"}) {
    if (!any(name)) continue;
    std::vector<LineSeries> s;
    for (size_t i = 0; i < trials.size(); ++i) {
      if (FindSeries(*trials[i], name)) s.push_back({label(i), Points(*trials[i], name, 100), static_cast<int>(i), false});
    }
    ChartOptions o;
    o.title = std::string(name) == "val_error" ? "Validation error" : "Training error";
    o.y_label = "error (%)";
    charts.push_back(LineChartSvg(s, o));
  }
  if (any("lr")) {
    std::vector<LineSeries> s;
    for (size_t i = 0; i < trials.size(); ++i) {
      if (FindSeries(*trials[i], "lr")) s.push_back({label(i), Points(*trials[i], "lr", 1), static_cast<int>(i), false});
    }
    ChartOptions o;
    o.title = "Learning rate";
    o.y_label = "lr (log scale)";
    o.log_y = true;
    charts.push_back(LineChartSvg(s, o));
  }
  return charts;
}

std::string LearningCurvesSvg(const std::vector<const TrialHistory*>& trials, const std::vector<std::string>& labels) {
  std::vector<std::string> charts = LearningCurveCharts(trials, labels);
  // Stack the charts vertically: each is a complete <svg> and nests as is.
  int width = 0, height = 0;
  std::vector<std::pair<int, int>> sizes;
  for (const std::string& c : charts) {
    int w = 0, h = 0;
    std::sscanf(c.c_str(), "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\"", &w, &h);
    sizes.emplace_back(w, h);
    width = std::max(width, w);
    height += h;
  }
  if (charts.empty()) {
    ChartOptions o;
    o.title = "No learning curves recorded";
    return LineChartSvg({}, o);
  }
  std::string out = SvgOpen(width, height);
  int y = 0;
  for (size_t i = 0; i < charts.size(); ++i) {
    std::string c = charts[i];
    // Place the nested chart: <svg x="0" y="Y" ...>.
    c.insert(4, fmt::format(" x=\"0\" y=\"{}\"", y));
    out += c;
    y += sizes[i].second;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace ltsweep::report
