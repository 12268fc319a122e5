// CoordinatorClient: the worker's side of proto/worker_service.proto.
//
// One method per RPC (Register, Lease, Heartbeat, ReportMetrics,
// FinishAttempt, StopWorker), each with the deadline given at construction,
// returning Status / StatusOr instead of gRPC types. What a failed call means
// is decided here once (ClassifyRpcError): retry later, the lease is gone, or
// the request was refused for good. The client never retries by itself and
// keeps no state beyond the channel: retry loops, backoff and logging belong
// to the callers (worker/slot_loop.h, worker/heartbeat_loop.h,
// worker/attempt_reporter.h).
//
// Like the clients of gRPC's route_guide example it takes the channel, so a
// test can point it at an in-process server on loopback.
//
// Ownership: shares the channel. Thread-safety: thread-safe (gRPC stubs are);
// one client serves every slot and the heartbeat thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "proto/credentials.h"
#include "proto/worker_service.pb.h"

namespace grpc {
class Channel;
}

namespace ltsweep::worker {

// What a failed call means for its caller.
enum class RpcFailure {
  // The coordinator may answer later (UNAVAILABLE, DEADLINE_EXCEEDED, any
  // code not listed below): retry with backoff.
  kTransient,
  // FAILED_PRECONDITION or NOT_FOUND: the coordinator no longer knows the
  // lease (cancelled, expired, stale token), the trial, or this worker.
  kLeaseGone,
  // INVALID_ARGUMENT, RESOURCE_EXHAUSTED, PERMISSION_DENIED, UNIMPLEMENTED:
  // sending the same request again cannot succeed.
  kRefused,
};

// Classifies a non-OK status returned by a CoordinatorClient method.
RpcFailure ClassifyRpcError(const Status& error);
// Retrying the same call can succeed (ClassifyRpcError is kTransient).
bool IsTransient(const Status& error);
// The coordinator no longer knows the lease (ClassifyRpcError is kLeaseGone).
bool IsLeaseGone(const Status& error);
// NOT_FOUND from Lease or Heartbeat: the coordinator does not know this
// worker (it lost or expired the registration); register again.
bool IsUnknownWorker(const Status& error);
// "<message> (<numeric gRPC code>)", for log lines.
std::string DescribeRpcError(const Status& error);

// A channel to `address` ("host:port") with the worker's settings: message
// size limit both ways, reconnect backoff between 100 ms and
// max(200, max_reconnect_backoff_ms), and DNS re-resolution allowed every
// 200 ms (so a restarted coordinator is found again quickly).
std::shared_ptr<grpc::Channel> CreateCoordinatorChannel(const std::string& address, int max_message_bytes,
                                                        int64_t max_reconnect_backoff_ms);
// The same, secured as `security` says (TLS, a token: proto/credentials.h);
// INVALID_ARGUMENT or NOT_FOUND naming the flag at fault.
StatusOr<std::shared_ptr<grpc::Channel>> CreateCoordinatorChannel(const std::string& address,
                                                                  const proto::ChannelSecurityOptions& security,
                                                                  int max_message_bytes,
                                                                  int64_t max_reconnect_backoff_ms);

class CoordinatorClient {
 public:
  // Every call gets a deadline of rpc_timeout from its start.
  CoordinatorClient(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds rpc_timeout);
  ~CoordinatorClient();
  CoordinatorClient(const CoordinatorClient&) = delete;
  CoordinatorClient& operator=(const CoordinatorClient&) = delete;

  StatusOr<v1::RegisterResponse> Register(const v1::RegisterRequest& request);
  StatusOr<v1::LeaseResponse> Lease(const v1::LeaseRequest& request);
  StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request);
  StatusOr<v1::ReportMetricsResponse> ReportMetrics(const v1::ReportMetricsRequest& request);
  StatusOr<v1::FinishAttemptResponse> FinishAttempt(const v1::FinishAttemptRequest& request);
  Status StopWorker(const std::string& worker_id);

 private:
  struct Stub;
  std::unique_ptr<Stub> stub_;
  std::chrono::milliseconds rpc_timeout_;
};

}  // namespace ltsweep::worker
