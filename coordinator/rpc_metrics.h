// The coordinator's per-call metrics, taken in one place: a gRPC server
// interceptor that sees every call of every service (worker, client,
// health) on its way out, so no service method carries metrics code.
//
//   ltsweep_rpc_duration_seconds{service,method,code}   histogram
//   ltsweep_lease_duration_seconds{result}              histogram (granted, nothing, error)
//   ltsweep_metric_rows_ingested_total                  counter (ReportMetrics' rows_written)
//   ltsweep_metric_rows_rejected_total                  counter (ReportMetrics' rows_rejected)
//   ltsweep_attempts_finished_total{outcome}            counter (FinishAttempt accepted)
//   ltsweep_attempts_requeued_total{outcome}            counter (of those, the trial went back to the queue)
//
// (docs/metrics.md describes each.) A call's time runs from the moment gRPC
// creates its interceptor (the call has arrived) to the moment its status is
// sent, so it includes the wait for the store's group commit.
//
// Cost per call: one interceptor object, a hash lookup of the method name in
// a table built once, a few relaxed atomic operations; no lock (a method
// missing from the table, e.g. reflection, takes the family's mutex once per
// call).
//
// Ownership: the factory borrows `registry` (DefaultRegistry by default),
// which outlives the server. Thread-safety: thread-safe.
#pragma once

#include <memory>

#include <grpcpp/support/server_interceptor.h>

#include "metrics/metrics.h"

namespace ltsweep::coordinator {

// For grpc::ServerBuilder::experimental().SetInterceptorCreators.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRpcMetricsInterceptorFactory(
    metrics::Registry& registry = metrics::DefaultRegistry());

}  // namespace ltsweep::coordinator
