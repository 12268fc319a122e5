// ClientHandler: the coordinator's answers to users and tools
// (proto/client_service), without any transport: submit a spec, read sweeps,
// trials and metrics, cancel, and watch a sweep's events.
//
// A submitted spec is parsed and expanded (spec/) here; an invalid one is
// INVALID_ARGUMENT carrying the validator's message ("<file>:<line>: <key>:
// ..."). Cancelling tells nobody directly: the workers holding the sweep's
// leases learn it from their next heartbeat or report.
//
// Ownership: borrows the Store and the options. Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <functional>

#include "common/status.h"
#include "coordinator/options.h"
#include "proto/client_service.pb.h"
#include "store/store.h"

namespace ltsweep::coordinator {

class ClientHandler {
 public:
  ClientHandler(Store& store, const CoordinatorOptions& options) : store_(store), options_(options) {}

  Status SubmitSweep(const v1::SubmitSweepRequest& request, v1::SubmitSweepResponse* response);
  Status GetSweep(const v1::GetSweepRequest& request, v1::SweepInfo* response);
  Status ListSweeps(const v1::ListSweepsRequest& request, v1::ListSweepsResponse* response);
  // One page of a sweep's trials (coordinator/trial_pages.h), or one trial
  // by id with its attempts.
  Status ListTrials(const v1::ListTrialsRequest& request, v1::ListTrialsResponse* response);
  Status CancelSweep(const v1::CancelSweepRequest& request, v1::CancelSweepResponse* response);
  Status QueryMetrics(const v1::QueryMetricsRequest& request, v1::QueryMetricsResponse* response);
  // One attempt's log from an offset on (Store::GetTrialLogs).
  // INVALID_ARGUMENT for a negative attempt, offset or max_bytes, or
  // max_bytes past 4 MiB; NOT_FOUND for an unknown trial or attempt.
  Status GetTrialLogs(const v1::GetTrialLogsRequest& request, v1::GetTrialLogsResponse* response);
  // Every known worker with its current trials and their latest epoch.
  Status ListWorkers(const v1::ListWorkersRequest& request, v1::ListWorkersResponse* response);
  // Lifts a worker's quarantine now (Store::ReleaseWorker); released is
  // false when it was not quarantined. NOT_FOUND for an unknown worker.
  Status ReleaseWorker(const v1::ReleaseWorkerRequest& request, v1::ReleaseWorkerResponse* response);

  // Sends the sweep's counts, then the trials that changed since (deltas,
  // coordinator/trial_pages.h WatchDeltas) through `write` until the sweep
  // is finished, `write` returns false (client gone) or `stop` returns true.
  // Polls every watch_poll. RESOURCE_EXHAUSTED when max_watch_streams
  // streams are open already.
  Status WatchSweep(const v1::WatchSweepRequest& request, const std::function<bool(const v1::SweepEvent&)>& write,
                    const std::function<bool()>& stop);

  // WatchSweep streams open now.
  int watch_streams() const { return watch_streams_.load(); }

 private:
  Store& store_;
  const CoordinatorOptions& options_;
  std::atomic<int> watch_streams_{0};
};

}  // namespace ltsweep::coordinator
