// The heavy parts of a sweep's page, built from the store: the results
// table (report/aggregate.h, as `ltsweep results`), the learning curves of
// each group's best trial, the parallel-coordinates plot, and the best
// trial's config, per-class error and confusion matrix. Every part is HTML
// or SVG made by report/ (the static report's rendering), so it is escaped.
// A staged sweep's parts are of its latest stage with trials, its results
// led by a note saying so (report/stage_filter.h); its stages, what each
// found and the range-test and plateau charts are `stages_html`, as in the
// static report (report/stage_charts.h).
//
// Thread-safety: pure functions of the store's state (read connections).
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "dashboard/dashboard.h"
#include "store/store.h"

namespace ltsweep::dashboard {

// {stages_html ("" without stages), results_html, curves: [svg...],
//  parallel_svg, best_trial, best_html, epochs_running_done,
//  basis: "histories" | "best values"}.
StatusOr<nlohmann::json> BuildSweepView(Store& store, const SweepInfo& info, const DashboardOptions& options);

}  // namespace ltsweep::dashboard
