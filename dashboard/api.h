// DashboardApi: the dashboard's JSON, transport-free (dashboard/dashboard.h
// lists the endpoints that serve it). Each method reads the store through
// its read connections and returns the JSON object of one endpoint.
//
// Errors: NOT_FOUND for an unknown sweep or trial, INVALID_ARGUMENT for a
// bad query value (naming it), else what the store returned.
//
// Ownership: borrows the store. Thread-safety: thread-safe; the view cache
// is guarded by its own mutex, and a view is built outside it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "dashboard/dashboard.h"
#include "store/store.h"

namespace ltsweep::dashboard {

// `value` as JSON text; invalid UTF-8 in strings is replaced, never thrown.
std::string DumpJson(const nlohmann::json& value);

class DashboardApi {
 public:
  // `now` (for the view cache; default: steady clock) may be replaced in tests.
  DashboardApi(Store& store, DashboardOptions options,
               std::function<std::chrono::steady_clock::time_point()> now = nullptr);

  // /api/sweeps: every sweep, newest first, with counts and progress.
  StatusOr<nlohmann::json> Sweeps();
  // /api/sweeps/ID: the sweep with counts, epochs and a version that
  // changes whenever a count or an epoch total does.
  StatusOr<nlohmann::json> Sweep(int64_t sweep_id);
  // /api/sweeps/ID/view: the tables and charts (cached; see DashboardOptions).
  StatusOr<nlohmann::json> SweepView(int64_t sweep_id);
  // /api/sweeps/ID/trials: one page by ordinal. `after` "" or an ordinal,
  // `limit` "" or 1..max_page_size, `state` "" or a trial state name.
  StatusOr<nlohmann::json> TrialsPage(int64_t sweep_id, const std::string& after, const std::string& limit,
                                      const std::string& state);
  // /api/trials/ID: the trial page's parts.
  StatusOr<nlohmann::json> Trial(int64_t trial_id);

 private:
  struct CachedView {
    std::string fingerprint;
    std::chrono::steady_clock::time_point built;
    nlohmann::json view;
  };
  std::chrono::milliseconds RefreshInterval(int n_trials) const;
  // The config keys a sweep's trials vary (the trial table's "parameters"),
  // from its first kKeySampleTrials trials; cached once that many exist.
  StatusOr<std::vector<std::string>> ParameterKeys(int64_t sweep_id);
  static constexpr int kKeySampleTrials = 200;

  Store& store_;
  const DashboardOptions options_;
  std::function<std::chrono::steady_clock::time_point()> now_;
  std::mutex mu_;
  std::map<int64_t, CachedView> views_;  // GUARDED_BY(mu_)
  // sweep -> (trials sampled, keys)
  std::map<int64_t, std::pair<int, std::vector<std::string>>> keys_;  // GUARDED_BY(mu_)
};

}  // namespace ltsweep::dashboard
