// A parallel-coordinates plot of a sweep: one vertical axis per parameter
// that varies across the trials and a last axis for the metric, one line per
// trial through its values, coloured from best (blue) to worst (red), the
// best trial drawn last and thicker. Numeric parameters get a linear axis
// (logarithmic when every value is positive and they span 100x or more, as
// learning rates do); other values (strings, lists, booleans) a categorical
// axis with one tick per distinct value. Self-contained SVG like
// report/svg.h, used by the static HTML report and the live dashboard.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/svg.h"

namespace ltsweep::report {

// One line of the plot: a trial's config and its value of the metric.
struct ParallelTrial {
  int64_t trial_id = 0;
  nlohmann::json config;  // the resolved trial config (nested object)
  double value = 0;       // the trial's best value of the metric
};

struct ParallelOptions {
  // Dotted config keys, one axis each, in this order. Default (empty): the
  // keys whose values vary across the trials, except train.seed.
  std::vector<std::string> keys;
  std::string metric = "val_error";
  std::string goal = "minimize";  // or "maximize": which end is "best"
  // Metric values shown multiplied by 100 with a "%" (error, accuracy).
  bool percent = false;
  ChartOptions chart{"Parameters against the metric", "", "", false, 760, 360};
};

// The plot. With no trial, or no parameter that varies, a chart saying so.
std::string ParallelCoordinatesSvg(const std::vector<ParallelTrial>& trials, const ParallelOptions& options);

}  // namespace ltsweep::report
