// Reading a large sweep without large answers: the page tokens and limits of
// ListTrials, and the delta stream of WatchSweep. A sweep of 100,000 trials
// is never sent whole: ListTrials answers one page (by ordinal, lean unless
// configs or histories are asked for) and WatchSweep sends the sweep's
// counts, then only the trials that changed.
//
// Thread-safety: pure functions over the Store (itself thread-safe);
// WatchDeltas blocks its caller until the stream ends.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "coordinator/options.h"
#include "proto/client_service.pb.h"
#include "store/store.h"

namespace ltsweep::coordinator {

// Trials per page when a request gives no page_size.
inline constexpr int kDefaultPageSize = 500;

// "<sweep>:<ordinal>": where the next page of `sweep_id` starts.
std::string PageToken(int64_t sweep_id, int64_t after_ordinal);

// The store request for a ListTrials request of a sweep: page_size
// defaulted and capped at options.max_page_size, the page bytes capped at
// half of options.max_message_bytes, states parsed. INVALID_ARGUMENT for a
// negative page size, an unknown state, or a page token that is not one of
// this sweep's.
StatusOr<TrialPageRequest> ToTrialPageRequest(const v1::ListTrialsRequest& request,
                                              const CoordinatorOptions& options);

// WatchSweep's body: the sweep's counts first, then every watch_poll the
// trials whose state changed since the last message (from the event log;
// each once, latest state, lean) with the counts after them, until the
// sweep is finished and no change is left, `write` returns false or `stop`
// returns true. NOT_FOUND for an unknown sweep.
Status WatchDeltas(Store& store, const CoordinatorOptions& options, int64_t sweep_id,
                   const std::function<bool(const v1::SweepEvent&)>& write,
                   const std::function<bool()>& stop);

}  // namespace ltsweep::coordinator
