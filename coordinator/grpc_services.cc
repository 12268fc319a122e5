#include "coordinator/grpc_services.h"

#include "coordinator/convert.h"

namespace ltsweep::coordinator {

grpc::Status WorkerServiceImpl::Register(grpc::ServerContext*, const v1::RegisterRequest* req,
                                         v1::RegisterResponse* resp) {
  return ToGrpcStatus(handler_.Register(*req, resp));
}
grpc::Status WorkerServiceImpl::Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* req,
                                          v1::HeartbeatResponse* resp) {
  return ToGrpcStatus(handler_.Heartbeat(*req, resp));
}
grpc::Status WorkerServiceImpl::Lease(grpc::ServerContext*, const v1::LeaseRequest* req, v1::LeaseResponse* resp) {
  return ToGrpcStatus(handler_.Lease(*req, resp));
}
grpc::Status WorkerServiceImpl::ReportMetrics(grpc::ServerContext*, const v1::ReportMetricsRequest* req,
                                              v1::ReportMetricsResponse* resp) {
  return ToGrpcStatus(handler_.ReportMetrics(*req, resp));
}
grpc::Status WorkerServiceImpl::FinishAttempt(grpc::ServerContext*, const v1::FinishAttemptRequest* req,
                                              v1::FinishAttemptResponse* resp) {
  return ToGrpcStatus(handler_.FinishAttempt(*req, resp));
}
grpc::Status WorkerServiceImpl::StopWorker(grpc::ServerContext*, const v1::StopWorkerRequest* req,
                                           v1::StopWorkerResponse* resp) {
  return ToGrpcStatus(handler_.StopWorker(*req, resp));
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

grpc::Status ClientServiceImpl::ListWorkers(grpc::ServerContext*, const v1::ListWorkersRequest* req,
                                            v1::ListWorkersResponse* resp) {
  return ToGrpcStatus(handler_.ListWorkers(*req, resp));
}

}  // namespace ltsweep::coordinator
