// The coordinator's /metrics page (`ltsweep coordinator --http ADDR`,
// `ltsweep run --http ADDR`): the process's own metrics
// (metrics::DefaultRegistry(): RPC and lease latency from
// coordinator/rpc_metrics.h, leases expired, and in `ltsweep run` the
// in-process worker's) followed by what the store holds now, read at each
// scrape without scanning trials:
//
//   ltsweep_trials{state}                        trials by state, all sweeps (sweep_trial_counts)
//   ltsweep_leases_held                          trials leased or running
//   ltsweep_workers{state}                       alive, quarantined, lost, stopped
//   ltsweep_store_write_transactions_total       group-commit transactions
//   ltsweep_store_write_operations_total         write calls run in them
//   ltsweep_store_group_commit_size              histogram: calls per transaction
//   ltsweep_store_write_busy_seconds_total       time the writer spent in transactions
//   ltsweep_store_queued_writes                  write calls waiting or running now
//   ltsweep_store_wal_checkpoints_total          background WAL checkpoints
//
// docs/metrics.md describes every metric. A store read that fails answers
// 503 with the error (Prometheus marks the target down for that scrape).
//
// Ownership: the route borrows the store, which must outlive the server.
// Thread-safety: the handler runs on HTTP threads; the store's reads are
// thread-safe.
#pragma once

#include <vector>

#include "common/status.h"
#include "http/http_server.h"
#include "metrics/exposition.h"
#include "store/store.h"

namespace ltsweep::coordinator {

// Adds GET /metrics to `server`.
void AddMetricsRoute(http::HttpServer& server, Store& store);

// The families read from the store (the list above), for the route and tests.
StatusOr<std::vector<metrics::FamilySnapshot>> StoreFamilies(Store& store);

// The page: DefaultRegistry's families, then StoreFamilies(store).
StatusOr<std::string> CoordinatorMetricsText(Store& store);

// Counts leases the scheduler expired (ltsweep_leases_expired_total), by
// whether the trial went back to the queue.
void CountExpiredLease(bool requeued);

}  // namespace ltsweep::coordinator
