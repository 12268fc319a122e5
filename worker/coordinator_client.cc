#include "worker/coordinator_client.h"

#include <algorithm>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "proto/worker_service.grpc.pb.h"

namespace ltsweep::worker {
namespace {

// ltsweep's StatusCode mirrors gRPC's canonical codes value for value.
Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return Status::Ok();
  return Status(static_cast<StatusCode>(s.error_code()), s.error_message());
}

// Calls stub->*method with a fresh context whose deadline is `timeout` away.
template <typename Response, typename Request, typename Method>
StatusOr<Response> Call(v1::WorkerService::Stub& stub, Method method, const Request& request,
                        std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  Response response;
  Status s = FromGrpc((stub.*method)(&ctx, request, &response));
  if (!s.ok()) return s;
  return response;
}

}  // namespace

RpcFailure ClassifyRpcError(const Status& error) {
  switch (error.code()) {
    case StatusCode::kFailedPrecondition:
    case StatusCode::kNotFound:
      return RpcFailure::kLeaseGone;
    case StatusCode::kInvalidArgument:
    case StatusCode::kResourceExhausted:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnimplemented:
      return RpcFailure::kRefused;
    default:
      return RpcFailure::kTransient;
  }
}

bool IsTransient(const Status& error) { return ClassifyRpcError(error) == RpcFailure::kTransient; }

bool IsLeaseGone(const Status& error) { return ClassifyRpcError(error) == RpcFailure::kLeaseGone; }

bool IsUnknownWorker(const Status& error) { return error.code() == StatusCode::kNotFound; }

std::string DescribeRpcError(const Status& error) {
  return fmt::format("{} ({})", error.message(), static_cast<int>(error.code()));
}

namespace {

grpc::ChannelArguments WorkerChannelArguments(int max_message_bytes, int64_t max_reconnect_backoff_ms) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(std::max<int64_t>(200, max_reconnect_backoff_ms)));
  // After a coordinator restart, look the address up again without the
  // default 30 s rate limit.
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 200);
  return args;
}

}  // namespace

std::shared_ptr<grpc::Channel> CreateCoordinatorChannel(const std::string& address, int max_message_bytes,
                                                        int64_t max_reconnect_backoff_ms) {
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   WorkerChannelArguments(max_message_bytes, max_reconnect_backoff_ms));
}

StatusOr<std::shared_ptr<grpc::Channel>> CreateCoordinatorChannel(const std::string& address,
                                                                  const proto::ChannelSecurityOptions& security,
                                                                  int max_message_bytes,
                                                                  int64_t max_reconnect_backoff_ms) {
  return proto::MakeChannel(address, security, WorkerChannelArguments(max_message_bytes, max_reconnect_backoff_ms));
}

struct CoordinatorClient::Stub {
  std::unique_ptr<v1::WorkerService::Stub> stub;
};

CoordinatorClient::CoordinatorClient(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds rpc_timeout)
    : stub_(std::make_unique<Stub>(Stub{v1::WorkerService::NewStub(std::move(channel))})),
      rpc_timeout_(rpc_timeout) {}

CoordinatorClient::~CoordinatorClient() = default;

StatusOr<v1::RegisterResponse> CoordinatorClient::Register(const v1::RegisterRequest& request) {
  return Call<v1::RegisterResponse>(*stub_->stub, &v1::WorkerService::Stub::Register, request, rpc_timeout_);
}

StatusOr<v1::LeaseResponse> CoordinatorClient::Lease(const v1::LeaseRequest& request) {
  return Call<v1::LeaseResponse>(*stub_->stub, &v1::WorkerService::Stub::Lease, request, rpc_timeout_);
}

StatusOr<v1::HeartbeatResponse> CoordinatorClient::Heartbeat(const v1::HeartbeatRequest& request) {
  return Call<v1::HeartbeatResponse>(*stub_->stub, &v1::WorkerService::Stub::Heartbeat, request, rpc_timeout_);
}

StatusOr<v1::ReportMetricsResponse> CoordinatorClient::ReportMetrics(const v1::ReportMetricsRequest& request) {
  return Call<v1::ReportMetricsResponse>(*stub_->stub, &v1::WorkerService::Stub::ReportMetrics, request,
                                         rpc_timeout_);
}

StatusOr<v1::FinishAttemptResponse> CoordinatorClient::FinishAttempt(const v1::FinishAttemptRequest& request) {
  return Call<v1::FinishAttemptResponse>(*stub_->stub, &v1::WorkerService::Stub::FinishAttempt, request,
                                         rpc_timeout_);
}

Status CoordinatorClient::StopWorker(const std::string& worker_id) {
  v1::StopWorkerRequest request;
  request.set_worker_id(worker_id);
  return Call<v1::StopWorkerResponse>(*stub_->stub, &v1::WorkerService::Stub::StopWorker, request, rpc_timeout_)
      .status();
}

}  // namespace ltsweep::worker
