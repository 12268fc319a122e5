// The parts of a trial's page, built from Store::GetTrialHistory: a summary,
// its config (changed-from-default keys first), its attempts with what each
// ran with (threads, BLAS, device), learning curves, per-class error and
// confusion matrix, early-stop decisions, and its logs once the store keeps
// them. HTML and SVG made by report/, so every text is escaped.
//
// Thread-safety: pure functions of the store's state (read connections).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "store/store.h"

namespace ltsweep::dashboard {

// {id, sweep_id, state, attempts, version, summary_html, config_html,
//  attempts_html, curves: [svg...], charts_html, early_stop_html, logs_html}.
StatusOr<nlohmann::json> BuildTrialView(Store& store, int64_t trial_id);

}  // namespace ltsweep::dashboard
