// Conversions between the store's records (store/types.h) and the gRPC
// messages (proto/), and from ltsweep::Status to grpc::Status.
//
// Thread-safety: pure functions.
#pragma once

#include <grpcpp/support/status.h>

#include "common/status.h"
#include "proto/client_service.pb.h"
#include "proto/worker_service.pb.h"
#include "store/types.h"

namespace ltsweep::coordinator {

// Same code, same message (the codes mirror gRPC's).
grpc::Status ToGrpcStatus(const Status& status);

void FillSweepInfo(const SweepInfo& in, v1::SweepInfo* out);
void FillTrialInfo(const TrialRecord& in, v1::TrialInfo* out);

// Splits worker rows into scalar and per-class rows, payloads by kind.
MetricBatch ToMetricBatch(const v1::ReportMetricsRequest& request);

AttemptOutcome ToAttemptOutcome(v1::AttemptOutcome outcome);

}  // namespace ltsweep::coordinator
