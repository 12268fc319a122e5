// CoordinatorClient: the CLI's side of proto/client_service — one blocking
// call per RPC, each answering a Status instead of a grpc::Status, and the
// coordinator's answers read back as the store's records (SweepHistory /
// TrialHistory, store/types.h) for the results commands.
//
// A coordinator that cannot be reached is UNAVAILABLE with the message
// "cannot reach the coordinator at ADDR: <gRPC's reason>" (led by what most
// likely went wrong when it looks like a TLS mismatch: "TLS handshake
// failed: is the coordinator using TLS? pass --tls-ca FILE"); other errors keep
// the coordinator's code and message (NOT_FOUND for an unknown sweep,
// INVALID_ARGUMENT with the validator's message for a bad spec).
//
// Ownership: owns its channel and stub. Thread-safety: thread-safe (gRPC
// stubs are); Watch() blocks its caller until the stream ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/support/channel_arguments.h>

#include "common/status.h"
#include "proto/client_service.grpc.pb.h"
#include "store/types.h"

namespace ltsweep::cli {

// The channel arguments of the CLI's channels (64 MiB answers).
grpc::ChannelArguments ClientChannelArguments();

// The least time a SubmitSweep call is given (a 100,000-trial spec is
// expanded and inserted in chunks by the coordinator: seconds).
inline constexpr std::chrono::milliseconds kSubmitTimeout{120'000};

// $LTSWEEP_COORDINATOR when set, else "localhost:50051".
std::string DefaultCoordinatorAddress();

class CoordinatorClient {
 public:
  // `address` is host:port; a plain-text channel. `timeout` bounds each
  // unary call (not Watch).
  explicit CoordinatorClient(std::string address,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));
  // Over `channel` (proto/credentials.h MakeChannel); `tls` says whether it
  // speaks TLS, for the hint a failed handshake gets.
  CoordinatorClient(std::string address, std::shared_ptr<grpc::Channel> channel, bool tls,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

  const std::string& address() const { return address_; }

  // `request_id` (may be empty): sent again unchanged on a retry, so the
  // coordinator creates the sweep once.
  StatusOr<v1::SubmitSweepResponse> Submit(const std::string& yaml, const std::string& source, bool rerun,
                                           const std::string& request_id = "");
  // `with_stage_curves`: each stage's evidence with the curve its rule read
  // (what the report's stage charts need; larger, so not for polling).
  StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id, bool with_stage_curves = false);
  StatusOr<v1::ListSweepsResponse> ListSweeps();
  // One page of trials (paging, states and what to include as
  // proto/client_service.proto's ListTrialsRequest says).
  StatusOr<v1::ListTrialsResponse> ListTrials(const v1::ListTrialsRequest& request);
  // Every page of `request`'s trials, in order (its page_token is where to
  // start): `on_page` gets each one; the first error stops it. Each page
  // is one call with its own timeout, so a 100,000-trial sweep never needs
  // one large answer.
  Status ForEachTrialPage(v1::ListTrialsRequest request,
                          const std::function<Status(const v1::ListTrialsResponse&)>& on_page);
  StatusOr<v1::CancelSweepResponse> Cancel(int64_t sweep_id);
  // attempt 0: the latest attempt.
  StatusOr<v1::QueryMetricsResponse> QueryMetrics(int64_t trial_id, int attempt = 0);
  StatusOr<v1::ListWorkersResponse> ListWorkers();
  // One attempt's log from `from_offset` on (attempt 0: the latest).
  StatusOr<v1::GetTrialLogsResponse> GetTrialLogs(int64_t trial_id, int attempt, int64_t from_offset);
  // Lifts the worker's quarantine (ltsweep workers --release).
  StatusOr<v1::ReleaseWorkerResponse> ReleaseWorker(const std::string& worker_id);
  // Calls `on_event` for each event of the sweep's stream until the sweep
  // ends or `on_event` returns false. `context` (owned by the caller) may be
  // cancelled from another thread with TryCancel() to end the stream early;
  // that returns OK.
  Status Watch(int64_t sweep_id, const std::function<bool(const v1::SweepEvent&)>& on_event,
               grpc::ClientContext* context);

  // A trial with its attempts and the metrics of every attempt merged by
  // MergeAttempts (store/metric_history.h), as Store::GetTrialHistory reads
  // it from the database file. A linked trial's metrics are its source's.
  StatusOr<TrialHistory> FetchTrialHistory(const v1::TrialInfo& info);
  StatusOr<TrialHistory> FetchTrialHistory(int64_t trial_id);
  // The sweep, its stages (with their curves) and every trial's history,
  // read page by page (configs and merged metrics come with each page: no
  // call per trial). `started_only`:
  // only the trials that were ever leased or are linked (what the results
  // table counts), not the ones that never ran.
  StatusOr<SweepHistory> FetchSweepHistory(int64_t sweep_id, bool started_only = false);

 private:
  Status Convert(const grpc::Status& status) const;

  std::string address_;
  bool tls_ = false;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ClientService::Stub> stub_;
};

}  // namespace ltsweep::cli
