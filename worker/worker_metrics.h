// The worker's metrics (`ltsweep worker --http ADDR` serves them on
// /metrics; in `ltsweep run` they appear on the coordinator's page, as both
// share the process's metrics::DefaultRegistry()):
//
//   ltsweep_worker_slots{state}                 busy / idle slots (at scrape)
//   ltsweep_worker_outbox_bytes                 unsent metric batches on disk, bytes (at scrape)
//   ltsweep_worker_outbox_batches               unsent metric batches (at scrape)
//   ltsweep_worker_attempts_started_total       trainer processes started
//   ltsweep_worker_trainer_exits_total{class}   trainer exits by contract::ClassifyExit class:
//                                               succeeded, permanent, retry_elsewhere, retry, interrupted
//   ltsweep_worker_faults_total                 attempts the worker failed around the trainer (spawn, folder)
//   ltsweep_worker_heartbeat_failures_total     heartbeats that got no answer
//
// docs/metrics.md describes each. The counters are process-wide (one worker
// per process, or the summed slots of `ltsweep run`); the gauges are those of
// the WorkerGauges objects alive now, summed.
//
// Ownership: WorkerGauges borrows the lease table and outbox, which must
// outlive it. Thread-safety: thread-safe.
#pragma once

#include "common/trainer_contract.h"
#include "metrics/metrics.h"

namespace ltsweep::worker {

class LeaseTable;
class Outbox;

struct WorkerMetrics {
  metrics::Counter& attempts_started;
  metrics::Counter& faults;
  metrics::Counter& heartbeat_failures;
  // The exit counter of `cls` (looked up once per class, kept).
  metrics::Counter& Exits(contract::ExitClass cls);
};

// The process's worker metrics, registered in DefaultRegistry on first use.
WorkerMetrics& Metrics();

// "succeeded", "permanent", "retry_elsewhere", "retry", "interrupted".
const char* ExitClassName(contract::ExitClass cls);

// Slots and outbox of one running worker, computed at each scrape for as long
// as this object lives.
class WorkerGauges {
 public:
  WorkerGauges(const LeaseTable& leases, int slots, Outbox& outbox);

 private:
  metrics::CallbackHandle slots_;
  metrics::CallbackHandle outbox_bytes_;
  metrics::CallbackHandle outbox_batches_;
};

}  // namespace ltsweep::worker
