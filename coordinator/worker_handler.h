// WorkerHandler: the coordinator's answers to workers (proto/worker_service),
// without any transport: register, heartbeat, lease, report metrics, finish
// an attempt, stop. grpc_services.cc forwards each RPC here; tests call it
// directly.
//
// All state is in the Store; the handler keeps only a cache of immutable
// facts (which sweep a trial belongs to, a sweep's metric), so a restarted
// coordinator answers the same. Fencing is the store's: a report or finish
// whose token is not the trial's current one is FAILED_PRECONDITION and
// writes nothing. Unknown worker ids are NOT_FOUND.
//
// The hot calls (heartbeat, lease, report, finish) come in two forms: the
// asynchronous one that the gRPC callback service uses -- it queues the
// write (Store::*Async) and returns; `done` gets the status once the write
// has committed, on a store thread (Store::*Async says which) -- and a
// blocking one that waits for it (tests, tools). The response is filled
// before `done` runs; request and response must stay alive until then.
//
// Ownership: borrows the Store and the options (both outlive the handler).
// Thread-safety: thread-safe (gRPC calls it from many threads).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/status.h"
#include "coordinator/early_stop_judge.h"
#include "coordinator/options.h"
#include "proto/worker_service.pb.h"
#include "store/store.h"

namespace ltsweep::coordinator {

class WorkerHandler {
 public:
  // `options` must be resolved (CoordinatorOptions::Resolve).
  WorkerHandler(Store& store, const CoordinatorOptions& options)
      : store_(store), options_(options), judge_(store, options.log) {}

  using Done = std::function<void(Status)>;

  Status Register(const v1::RegisterRequest& request, v1::RegisterResponse* response);
  Status StopWorker(const v1::StopWorkerRequest& request, v1::StopWorkerResponse* response);

  void HeartbeatAsync(const v1::HeartbeatRequest& request, v1::HeartbeatResponse* response, Done done);
  void LeaseAsync(const v1::LeaseRequest& request, v1::LeaseResponse* response, Done done);
  void ReportMetricsAsync(const v1::ReportMetricsRequest& request, v1::ReportMetricsResponse* response,
                          Done done);
  void FinishAttemptAsync(const v1::FinishAttemptRequest& request, v1::FinishAttemptResponse* response,
                          Done done);

  // Blocking forms of the above.
  Status Heartbeat(const v1::HeartbeatRequest& request, v1::HeartbeatResponse* response);
  Status Lease(const v1::LeaseRequest& request, v1::LeaseResponse* response);
  Status ReportMetrics(const v1::ReportMetricsRequest& request, v1::ReportMetricsResponse* response);
  Status FinishAttempt(const v1::FinishAttemptRequest& request, v1::FinishAttemptResponse* response);

 private:
  // The log line of a quarantine that a failure started.
  void LogQuarantine(const Quarantine& quarantine);
  // The metric name of the trial's sweep (cached; sweeps never change it).
  StatusOr<std::string> MetricNameOf(int64_t trial_id);
  // Best/last/best epoch of the sweep metric from the done event (what it
  // lacks, the store already has from the attempt's reports).
  void FillResult(int64_t trial_id, const v1::FinishAttemptRequest& request, FinishRequest* finish);

  Store& store_;
  const CoordinatorOptions& options_;
  EarlyStopJudge judge_;  // the sweep's early_terminate rule, run on each report
  std::mutex mu_;
  std::unordered_map<int64_t, int64_t> trial_sweep_;        // GUARDED_BY(mu_)
  std::unordered_map<int64_t, std::string> sweep_metric_;   // GUARDED_BY(mu_)
};

}  // namespace ltsweep::coordinator
