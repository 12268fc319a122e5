#include "dashboard/api.h"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "common/utc_time.h"
#include "dashboard/sweep_view.h"
#include "dashboard/trial_view.h"
#include "report/aggregate.h"
#include "report/trial_fields.h"

namespace ltsweep::dashboard {

namespace {

using nlohmann::json;

constexpr TrialState kAllStates[] = {TrialState::kQueued,    TrialState::kLeased,    TrialState::kRunning,
                                     TrialState::kSucceeded, TrialState::kFailed,    TrialState::kCancelled,
                                     TrialState::kLinked,    TrialState::kStopped};

// TrialCounts::at is a mutable accessor; a copy reads it.
int CountOf(TrialCounts counts, TrialState s) { return counts.at(s); }

json CountsJson(const TrialCounts& counts) {
  json out = json::object();
  for (TrialState s : kAllStates) out[TrialStateName(s)] = CountOf(counts, s);
  out["total"] = counts.total();
  return out;
}

// Epochs of the trials that will run them all, and of those that did.
json EpochsJson(const TrialCounts& c) {
  const int64_t finished = c.epochs_at(TrialState::kSucceeded) + c.epochs_at(TrialState::kLinked);
  const int64_t expected = finished + c.epochs_at(TrialState::kQueued) + c.epochs_at(TrialState::kLeased) +
                           c.epochs_at(TrialState::kRunning);
  return {{"expected", expected}, {"finished", finished}};
}

std::string Fingerprint(const SweepInfo& info) {
  std::string out = fmt::format("{}.{}", SweepStateName(info.sweep.state), info.sweep.updated_ms);
  for (TrialState s : kAllStates) out += fmt::format(".{}", CountOf(info.counts, s));
  return out;
}

json SweepJson(const SweepInfo& info) {
  const SweepRecord& s = info.sweep;
  json out = {{"id", s.id},
              {"name", s.name},
              {"state", SweepStateName(s.state)},
              {"metric", s.metric_name},
              {"goal", s.metric_goal},
              {"priority", s.priority},
              {"gpus", s.gpus},
              {"created", FormatUtcSeconds(s.created_ms)},
              {"finished", s.finished_ms ? json(FormatUtcSeconds(*s.finished_ms)) : json(nullptr)},
              {"counts", CountsJson(info.counts)},
              {"epochs", EpochsJson(info.counts)},
              {"version", Fingerprint(info)}};
  return out;
}

StatusOr<int64_t> ParseInt(const std::string& name, const std::string& text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    return InvalidArgumentError(fmt::format("{}: expected an integer from {} to {}, got \"{}\"", name, lo, hi, text));
  }
  return v;
}

// "key=value key=value" of the trial's values at `keys`.
std::string ParamsText(const json& config, const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) {
    out += (out.empty() ? "" : " ") + k + "=" + report::ConfigValueText(config, k);
  }
  return out;
}

json TrialRowJson(const TrialHistory& h, const std::vector<std::string>& keys) {
  const TrialRecord& t = h.trial;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"id", t.id},
          {"ordinal", t.ordinal},
          {"state", TrialStateName(t.state)},
          {"attempts", t.attempts},
          {"worker", t.worker_id},
          {"best", opt(t.best_metric)},
          {"last", opt(t.last_metric)},
          {"best_epoch", t.best_epoch ? json(*t.best_epoch) : json(nullptr)},
          {"params", ParamsText(report::TrialConfig(h), keys)},
          {"error", t.error}};
}

}  // namespace

std::string DumpJson(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

DashboardApi::DashboardApi(Store& store, DashboardOptions options,
                           std::function<std::chrono::steady_clock::time_point()> now)
    : store_(store), options_(std::move(options)), now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::steady_clock::now(); };
}

StatusOr<json> DashboardApi::Sweeps() {
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<SweepInfo> sweeps, store_.ListSweeps(0));
  json list = json::array();
  for (const SweepInfo& s : sweeps) list.push_back(SweepJson(s));
  return json{{"sweeps", list}};
}

StatusOr<json> DashboardApi::Sweep(int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepInfo info, store_.GetSweep(sweep_id));
  return SweepJson(info);
}

std::chrono::milliseconds DashboardApi::RefreshInterval(int n_trials) const {
  const auto scaled = options_.view_refresh * (1 + n_trials / 1000);
  return std::min(scaled, std::max(options_.view_refresh, options_.max_view_refresh));
}

StatusOr<json> DashboardApi::SweepView(int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepInfo info, store_.GetSweep(sweep_id));
  const std::string fingerprint = Fingerprint(info);
  const bool active = info.counts.running + info.counts.leased > 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = views_.find(sweep_id);
    if (it != views_.end()) {
      const bool same = it->second.fingerprint == fingerprint && !active;
      if (same || now_() - it->second.built < RefreshInterval(info.counts.total())) return it->second.view;
    }
  }
  LTSWEEP_ASSIGN_OR_RETURN(json view, BuildSweepView(store_, info, options_));
  view["sweep"] = SweepJson(info);
  std::lock_guard<std::mutex> lock(mu_);
  views_[sweep_id] = CachedView{fingerprint, now_(), view};
  return view;
}

StatusOr<json> DashboardApi::TrialsPage(int64_t sweep_id, const std::string& after, const std::string& limit,
                                        const std::string& state) {
  TrialPageRequest request;
  request.sweep_id = sweep_id;
  request.with_config = true;
  request.limit = options_.page_size;
  if (!after.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(request.after_ordinal, ParseInt("after", after, -1, INT64_MAX));
  }
  if (!limit.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(int64_t n, ParseInt("limit", limit, 1, options_.max_page_size));
    request.limit = static_cast<int>(n);
  }
  if (!state.empty()) {
    std::optional<TrialState> s = ParseTrialState(state);
    if (!s) return InvalidArgumentError(fmt::format("state: unknown trial state \"{}\"", state));
    request.states = {*s};
  }
  LTSWEEP_ASSIGN_OR_RETURN(TrialPage page, store_.ListTrialsPage(request));
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<std::string> keys, ParameterKeys(sweep_id));
  json rows = json::array();
  for (const TrialHistory& t : page.trials) rows.push_back(TrialRowJson(t, keys));
  return json{{"sweep_id", sweep_id},
              {"after", request.after_ordinal},
              {"limit", request.limit},
              {"state", state},
              {"trials", rows},
              {"next_after", page.next_after_ordinal ? json(*page.next_after_ordinal) : json(nullptr)}};
}

StatusOr<std::vector<std::string>> DashboardApi::ParameterKeys(int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepInfo info, store_.GetSweep(sweep_id));
  const int n = info.counts.total();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find(sweep_id);
    if (it != keys_.end() && (it->second.first >= kKeySampleTrials || it->second.first == n)) return it->second.second;
  }
  // The sweep's first trials (configs never change): the keys that vary
  // across them, train.seed included, are its parameters.
  TrialPageRequest request;
  request.sweep_id = sweep_id;
  request.limit = kKeySampleTrials;
  request.with_config = true;
  LTSWEEP_ASSIGN_OR_RETURN(TrialPage page, store_.ListTrialsPage(request));
  std::vector<std::string> keys = report::VaryingConfigKeys(page.trials);
  std::set<std::string> seeds;
  for (const TrialHistory& t : page.trials) seeds.insert(report::ConfigValueText(report::TrialConfig(t), "train.seed"));
  if (seeds.size() > 1) keys.push_back("train.seed");
  std::lock_guard<std::mutex> lock(mu_);
  keys_[sweep_id] = {static_cast<int>(page.trials.size()), keys};
  return keys;
}

StatusOr<json> DashboardApi::Trial(int64_t trial_id) { return BuildTrialView(store_, trial_id); }

}  // namespace ltsweep::dashboard
