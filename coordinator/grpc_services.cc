#include "coordinator/grpc_services.h"

#include "coordinator/convert.h"

namespace ltsweep::coordinator {

namespace {

// Finishes a callback RPC with the handler's status.
WorkerHandler::Done FinishWith(grpc::ServerUnaryReactor* reactor) {
  return [reactor](Status status) { reactor->Finish(ToGrpcStatus(status)); };
}

}  // namespace

grpc::ServerUnaryReactor* WorkerServiceImpl::Register(grpc::CallbackServerContext* ctx, const v1::RegisterRequest* req,
                                                      v1::RegisterResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(handler_.Register(*req, resp)));  // rare: blocking is fine
  return reactor;
}
grpc::ServerUnaryReactor* WorkerServiceImpl::Heartbeat(grpc::CallbackServerContext* ctx,
                                                       const v1::HeartbeatRequest* req,
                                                       v1::HeartbeatResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  handler_.HeartbeatAsync(*req, resp, FinishWith(reactor));
  return reactor;
}
grpc::ServerUnaryReactor* WorkerServiceImpl::Lease(grpc::CallbackServerContext* ctx, const v1::LeaseRequest* req,
                                                   v1::LeaseResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  handler_.LeaseAsync(*req, resp, FinishWith(reactor));
  return reactor;
}
grpc::ServerUnaryReactor* WorkerServiceImpl::ReportMetrics(grpc::CallbackServerContext* ctx,
                                                           const v1::ReportMetricsRequest* req,
                                                           v1::ReportMetricsResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  handler_.ReportMetricsAsync(*req, resp, FinishWith(reactor));
  return reactor;
}
grpc::ServerUnaryReactor* WorkerServiceImpl::FinishAttempt(grpc::CallbackServerContext* ctx,
                                                           const v1::FinishAttemptRequest* req,
                                                           v1::FinishAttemptResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  handler_.FinishAttemptAsync(*req, resp, FinishWith(reactor));
  return reactor;
}
grpc::ServerUnaryReactor* WorkerServiceImpl::StopWorker(grpc::CallbackServerContext* ctx,
                                                        const v1::StopWorkerRequest* req,
                                                        v1::StopWorkerResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(handler_.StopWorker(*req, resp)));
  return reactor;
}

grpc::Status ClientServiceImpl::SubmitSweep(grpc::ServerContext*, const v1::SubmitSweepRequest* req,
                                            v1::SubmitSweepResponse* resp) {
  return ToGrpcStatus(handler_.SubmitSweep(*req, resp));
}
grpc::Status ClientServiceImpl::GetSweep(grpc::ServerContext*, const v1::GetSweepRequest* req, v1::SweepInfo* resp) {
  return ToGrpcStatus(handler_.GetSweep(*req, resp));
}
grpc::Status ClientServiceImpl::ListSweeps(grpc::ServerContext*, const v1::ListSweepsRequest* req,
                                           v1::ListSweepsResponse* resp) {
  return ToGrpcStatus(handler_.ListSweeps(*req, resp));
}
grpc::Status ClientServiceImpl::ListTrials(grpc::ServerContext*, const v1::ListTrialsRequest* req,
                                           v1::ListTrialsResponse* resp) {
  return ToGrpcStatus(handler_.ListTrials(*req, resp));
}
grpc::Status ClientServiceImpl::CancelSweep(grpc::ServerContext*, const v1::CancelSweepRequest* req,
                                            v1::CancelSweepResponse* resp) {
  return ToGrpcStatus(handler_.CancelSweep(*req, resp));
}
grpc::Status ClientServiceImpl::WatchSweep(grpc::ServerContext* ctx, const v1::WatchSweepRequest* req,
                                           grpc::ServerWriter<v1::SweepEvent>* writer) {
  return ToGrpcStatus(handler_.WatchSweep(
      *req, [writer](const v1::SweepEvent& e) { return writer->Write(e); },
      [this, ctx] { return ctx->IsCancelled() || stopping_.load(); }));
}
grpc::Status ClientServiceImpl::QueryMetrics(grpc::ServerContext*, const v1::QueryMetricsRequest* req,
                                             v1::QueryMetricsResponse* resp) {
  return ToGrpcStatus(handler_.QueryMetrics(*req, resp));
}

grpc::Status ClientServiceImpl::GetTrialLogs(grpc::ServerContext*, const v1::GetTrialLogsRequest* req,
                                             v1::GetTrialLogsResponse* resp) {
  return ToGrpcStatus(handler_.GetTrialLogs(*req, resp));
}

grpc::Status ClientServiceImpl::ListWorkers(grpc::ServerContext*, const v1::ListWorkersRequest* req,
                                            v1::ListWorkersResponse* resp) {
  return ToGrpcStatus(handler_.ListWorkers(*req, resp));
}

grpc::Status ClientServiceImpl::ReleaseWorker(grpc::ServerContext*, const v1::ReleaseWorkerRequest* req,
                                              v1::ReleaseWorkerResponse* resp) {
  return ToGrpcStatus(handler_.ReleaseWorker(*req, resp));
}

}  // namespace ltsweep::coordinator
