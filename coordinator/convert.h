// Conversions between the store's records (store/types.h) and the gRPC
// messages (proto/), both ways, and from ltsweep::Status to grpc::Status.
// The coordinator fills messages from records; the CLI's coordinator client
// turns the answers back into the same records (the From* functions), so
// the results commands read one shape whether from a file or over gRPC.
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
// A staged sweep's stages (the evidence without its curve unless
// `with_curves`), and back (the fields SweepStage carries).
void FillSweepStages(const std::vector<StageRecord>& stages, v1::SweepInfo* out, bool with_curves = false);
std::vector<StageRecord> StagesFromProto(const v1::SweepInfo& in);
void FillTrialInfo(const TrialRecord& in, v1::TrialInfo* out);
void FillAttemptInfo(const AttemptRecord& in, v1::AttemptInfo* out);
void FillEarlyStopDecision(const EarlyStopRecord& in, v1::EarlyStopDecision* out);
EarlyStopRecord EarlyStopFromProto(int64_t trial_id, const v1::EarlyStopDecision& in);
// The trial, and with `with_history` its attempts and merged metrics
// (has_history, history, history_payloads, history_source_trial_id).
void FillTrialHistory(const TrialHistory& in, bool with_history, v1::TrialInfo* out);
// What an attempt ran with (the trainer's start event), both ways.
v1::AttemptRuntime ToProto(const AttemptRuntime& in);
AttemptRuntime RuntimeFromProto(const v1::AttemptRuntime& in);
// Scalars and per-class rows go to points (class_index -1 for scalars).
void FillQueryMetrics(const TrialMetrics& in, v1::QueryMetricsResponse* out);
// A trial log read, both ways.
void FillTrialLogs(const TrialLog& in, v1::GetTrialLogsResponse* out);
TrialLog TrialLogFromProto(const v1::GetTrialLogsResponse& in, int64_t from_offset);

// The other way. Fields a message does not carry (the spec text, leases,
// most timestamps) are left at their defaults; an unknown state name reads
// as the first state (pending, queued, running).
SweepRecord SweepFromProto(const v1::SweepInfo& in);
TrialRecord TrialFromProto(const v1::TrialInfo& in);
AttemptRecord AttemptFromProto(int64_t trial_id, const v1::AttemptInfo& in);
TrialMetrics MetricsFromProto(const v1::QueryMetricsResponse& in);
// A TrialInfo filled by FillTrialHistory(with_history = true).
TrialHistory TrialHistoryFromProto(const v1::TrialInfo& in);

// Splits worker rows into scalar and per-class rows, payloads by kind.
MetricBatch ToMetricBatch(const v1::ReportMetricsRequest& request);

// FAILED_RETRYABLE and any value this build does not know (a newer worker)
// read as kFailedRetryable.
AttemptOutcome ToAttemptOutcome(v1::AttemptOutcome outcome);

}  // namespace ltsweep::coordinator
