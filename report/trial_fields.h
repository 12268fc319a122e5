// What the results tables, charts and the HTML report read out of a trial's
// history (TrialHistory, store/types.h): a metric series, the per-class
// error at an epoch, the config as JSON, class counts and names from the
// trainer's payloads, and the latest confusion matrix.
//
// report/ takes its records from the store (Store::GetSweepHistory /
// GetTrialHistory) or from the CLI's coordinator client, already merged over
// attempts; nothing here reads SQL or knows about gRPC.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "store/types.h"

namespace ltsweep::report {

// The per-class row name of the per-class validation error (the trainer's
// per_class_error; per_class_metrics.name = 'error').
inline constexpr const char* kPerClassError = "error";

// The scalar series `name` of the trial, or nullptr.
const Series* FindSeries(const TrialHistory& trial, const std::string& name);

// The per-class values of row `name` at `epoch`, or nullptr.
const std::vector<double>* PerClassAt(const TrialHistory& trial, const std::string& name, int epoch);

// The trial's config (TrialRecord::config_json) parsed; an empty object
// when it is not JSON (CheckConfigs reports that).
nlohmann::json TrialConfig(const TrialHistory& trial);

// DATA_LOSS naming the first trial whose config is not JSON.
Status CheckConfigs(const std::vector<TrialHistory>& trials);

// Training samples per class and class names, from the trainer's "start"
// payload, else its "done" payload (keys class_counts / train_class_counts /
// train_counts and class_names / classes). Empty when unknown.
struct ClassInfo {
  std::vector<int64_t> counts;
  std::vector<std::string> names;
};
ClassInfo ReadClassInfo(const TrialHistory& trial);

// The payload of `kind` at the latest epoch that parses; null when none.
nlohmann::json LatestPayload(const TrialHistory& trial, const std::string& kind);

// What an attempt ran with, as table cells: "cpu", "2", "OpenBLAS 0.3.21 ...
// (1 thread)"; "" for what was not reported.
std::string RuntimeDeviceText(const std::optional<AttemptRuntime>& rt);
std::string RuntimeThreadsText(const std::optional<AttemptRuntime>& rt);
std::string RuntimeBlasText(const std::optional<AttemptRuntime>& rt);

// Counted in results by default: succeeded, or linked to a success.
bool IsSuccess(const TrialHistory& trial);

}  // namespace ltsweep::report
