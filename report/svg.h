// Self-contained SVG charts for results: line charts (learning curves, several
// trials with a legend, optional log-scale y axis), bar charts (per-class
// error) and heat maps (confusion matrices). No scripts, no external fonts or
// style sheets: generic font families only, so a file opens anywhere and can
// be inlined in the HTML report. Output is well-formed XML.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "store/types.h"

namespace ltsweep::report {

// Escapes &, <, >, " and ' for XML/HTML text and attribute values, and drops
// control characters XML 1.0 does not allow.
std::string XmlEscape(const std::string& text);

struct LineSeries {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y); non-finite y skipped
  // Index into the palette; series with the same color and different dashed
  // flags pair up (train loss dashed, val loss solid).
  int color = 0;
  bool dashed = false;
};

struct ChartOptions {
  std::string title;
  std::string x_label = "epoch";
  std::string y_label;
  // Logarithmic y axis (for the learning rate); non-positive values skipped.
  // Default false.
  bool log_y = false;
  // Size in px. Defaults 560 x 340.
  int width = 560;
  int height = 340;
};

// "Nice" tick positions covering [lo, hi] (steps 1, 2 or 5 x 10^k), about
// `target` of them.
std::vector<double> NiceTicks(double lo, double hi, int target = 5);

// A line chart with axes, ticks, labels, grid and a legend.
std::string LineChartSvg(const std::vector<LineSeries>& series, const ChartOptions& options);

// A vertical bar chart: one group of bars per category, one bar per series
// (e.g. per-class error of several trials). values[s][c] is series s,
// category c.
std::string BarChartSvg(const std::vector<std::string>& categories,
                        const std::vector<std::string>& series_labels,
                        const std::vector<std::vector<double>>& values, const ChartOptions& options);

// A heat map of a square matrix (rows = true class, columns = predicted
// class) with counts written in the cells and row-normalised shading.
std::string HeatmapSvg(const std::vector<std::vector<double>>& matrix,
                       const std::vector<std::string>& labels, const ChartOptions& options);

// The four learning-curve charts of trials, Figures 3-6 style: loss (train
// dashed, val solid), val error, train error when present, and lr (log y).
// `labels[i]` names trials[i] in the legends. One <svg> per chart, in order;
// charts whose series are absent in every trial are left out.
std::vector<std::string> LearningCurveCharts(const std::vector<const TrialHistory*>& trials,
                                             const std::vector<std::string>& labels);

// The same charts stacked in one SVG document (for `ltsweep curves -o x.svg`).
std::string LearningCurvesSvg(const std::vector<const TrialHistory*>& trials,
                              const std::vector<std::string>& labels);

// The color (#rrggbb) of palette entry i (cycles through ten colors).
const char* PaletteColor(int i);

}  // namespace ltsweep::report
