#include "coordinator/trial_pages.h"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "coordinator/convert.h"

namespace ltsweep::coordinator {

namespace {

bool Finished(SweepState s) {
  return s == SweepState::kDone || s == SweepState::kFailed || s == SweepState::kCancelled;
}

// The trials the events name, each once, in the order of their last event.
std::vector<int64_t> ChangedTrials(const std::vector<EventRecord>& events) {
  std::vector<int64_t> ids;
  for (auto e = events.rbegin(); e != events.rend(); ++e) {
    if (e->trial_id && std::find(ids.begin(), ids.end(), *e->trial_id) == ids.end()) {
      ids.push_back(*e->trial_id);
    }
  }
  std::reverse(ids.begin(), ids.end());
  return ids;
}

// One delta message: the changed trials (lean) and the counts after them.
StatusOr<v1::SweepEvent> DeltaMessage(Store& store, int64_t sweep_id,
                                      const std::vector<EventRecord>& events) {
  v1::SweepEvent out;
  out.set_time_ms(events.back().time_ms);
  for (int64_t trial_id : ChangedTrials(events)) {
    auto trial = store.GetTrial(trial_id);
    if (!trial.ok()) continue;
    v1::TrialInfo* changed = out.add_changed();
    FillTrialInfo(trial->trial, changed);
    changed->clear_config_json();
  }
  if (out.changed_size() > 0) *out.mutable_trial() = out.changed(out.changed_size() - 1);
  LTSWEEP_ASSIGN_OR_RETURN(SweepInfo info, store.GetSweep(sweep_id));
  FillSweepInfo(info, out.mutable_sweep());
  return out;
}

}  // namespace

std::string PageToken(int64_t sweep_id, int64_t after_ordinal) {
  return fmt::format("{}:{}", sweep_id, after_ordinal);
}

StatusOr<TrialPageRequest> ToTrialPageRequest(const v1::ListTrialsRequest& request,
                                              const CoordinatorOptions& options) {
  TrialPageRequest page;
  page.sweep_id = request.sweep_id();
  if (request.page_size() < 0) {
    return InvalidArgumentError(fmt::format("page_size must not be negative, got {}", request.page_size()));
  }
  page.limit = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  page.limit = std::min(page.limit, options.max_page_size);
  page.max_bytes = options.max_message_bytes / 2;
  page.with_config = request.include_config();
  page.with_history = request.include_history();
  page.started_only = request.started_only();
  for (const std::string& name : request.states()) {
    auto state = ParseTrialState(name);
    if (!state) {
      return InvalidArgumentError(fmt::format(
          "unknown trial state '{}' in states (queued, leased, running, succeeded, failed, cancelled, linked)",
          name));
    }
    page.states.push_back(*state);
  }
  if (!request.page_token().empty()) {
    long long sweep = 0, ordinal = 0;
    char tail = 0;
    if (std::sscanf(request.page_token().c_str(), "%lld:%lld%c", &sweep, &ordinal, &tail) != 2 ||
        sweep != request.sweep_id() || ordinal < -1) {
      return InvalidArgumentError(
          fmt::format("page_token '{}' is not a page token of sweep {} (pass next_page_token unchanged)",
                      request.page_token().substr(0, 64), request.sweep_id()));
    }
    page.after_ordinal = ordinal;
  }
  return page;
}

Status WatchDeltas(Store& store, const CoordinatorOptions& options, int64_t sweep_id,
                   const std::function<bool(const v1::SweepEvent&)>& write,
                   const std::function<bool()>& stop) {
  EventFilter filter;
  filter.sweep_id = sweep_id;
  filter.limit = 1000;
  // Changes from the newest event on; the counts read after it hold the
  // rest (a change between the two reads may come once more as a delta).
  LTSWEEP_ASSIGN_OR_RETURN(auto newest, store.RecentEvents(1, sweep_id));
  if (!newest.empty()) filter.after_id = newest.back().id;
  {
    LTSWEEP_ASSIGN_OR_RETURN(SweepInfo info, store.GetSweep(sweep_id));
    v1::SweepEvent first;
    first.set_time_ms(options.clock->NowMillis());
    FillSweepInfo(info, first.mutable_sweep());
    if (!write(first)) return Status::Ok();
  }
  while (!stop()) {
    LTSWEEP_ASSIGN_OR_RETURN(auto events, store.ListEvents(filter));
    if (!events.empty()) {
      filter.after_id = events.back().id;
      LTSWEEP_ASSIGN_OR_RETURN(v1::SweepEvent delta, DeltaMessage(store, sweep_id, events));
      if (!write(delta)) return Status::Ok();
      if (static_cast<int>(events.size()) == filter.limit) continue;  // more waiting
    }
    LTSWEEP_ASSIGN_OR_RETURN(SweepInfo info, store.GetSweep(sweep_id));
    if (Finished(info.sweep.state)) {
      // Anything logged before the state was read is read next, then done.
      LTSWEEP_ASSIGN_OR_RETURN(auto tail, store.ListEvents(filter));
      if (tail.empty()) return Status::Ok();
      continue;
    }
    std::this_thread::sleep_for(options.watch_poll);
  }
  return Status::Ok();
}

}  // namespace ltsweep::coordinator
