// The gRPC service classes of the coordinator: thin adapters that forward
// each RPC to ClientHandler / WorkerHandler and map Status to grpc::Status.
//
// The worker service uses gRPC's callback API: a request is handed to the
// store's writer queue and the handling thread goes back to the network at
// once; the reply is sent when the write commits (WorkerHandler::*Async), by
// the thread that ran the write's group. No thread blocks per request, so a
// few threads serve hundreds of workers and the writes of many requests
// share one transaction. The client service (few, slower calls, and the
// WatchSweep stream) stays on the synchronous API.
//
// Ownership: borrow their handler. Thread-safety: thread-safe.
#pragma once

#include <atomic>

#include "coordinator/client_handler.h"
#include "coordinator/worker_handler.h"
#include "proto/client_service.grpc.pb.h"
#include "proto/worker_service.grpc.pb.h"

namespace ltsweep::coordinator {

class WorkerServiceImpl final : public v1::WorkerService::CallbackService {
 public:
  explicit WorkerServiceImpl(WorkerHandler& handler) : handler_(handler) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx, const v1::RegisterRequest* req, v1::RegisterResponse* resp) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx, const v1::HeartbeatRequest* req,
                         v1::HeartbeatResponse* resp) override;
  grpc::ServerUnaryReactor* Lease(grpc::CallbackServerContext* ctx, const v1::LeaseRequest* req, v1::LeaseResponse* resp) override;
  grpc::ServerUnaryReactor* ReportMetrics(grpc::CallbackServerContext* ctx, const v1::ReportMetricsRequest* req,
                             v1::ReportMetricsResponse* resp) override;
  grpc::ServerUnaryReactor* FinishAttempt(grpc::CallbackServerContext* ctx, const v1::FinishAttemptRequest* req,
                             v1::FinishAttemptResponse* resp) override;
  grpc::ServerUnaryReactor* StopWorker(grpc::CallbackServerContext* ctx, const v1::StopWorkerRequest* req,
                          v1::StopWorkerResponse* resp) override;

 private:
  WorkerHandler& handler_;
};

class ClientServiceImpl final : public v1::ClientService::Service {
 public:
  // `stopping` is set when the server shuts down, ending open watches.
  ClientServiceImpl(ClientHandler& handler, const std::atomic<bool>& stopping)
      : handler_(handler), stopping_(stopping) {}

  grpc::Status SubmitSweep(grpc::ServerContext*, const v1::SubmitSweepRequest* req,
                           v1::SubmitSweepResponse* resp) override;
  grpc::Status GetSweep(grpc::ServerContext*, const v1::GetSweepRequest* req, v1::SweepInfo* resp) override;
  grpc::Status ListSweeps(grpc::ServerContext*, const v1::ListSweepsRequest* req,
                          v1::ListSweepsResponse* resp) override;
  grpc::Status ListTrials(grpc::ServerContext*, const v1::ListTrialsRequest* req,
                          v1::ListTrialsResponse* resp) override;
  grpc::Status CancelSweep(grpc::ServerContext*, const v1::CancelSweepRequest* req,
                           v1::CancelSweepResponse* resp) override;
  grpc::Status WatchSweep(grpc::ServerContext* ctx, const v1::WatchSweepRequest* req,
                          grpc::ServerWriter<v1::SweepEvent>* writer) override;
  grpc::Status QueryMetrics(grpc::ServerContext*, const v1::QueryMetricsRequest* req,
                            v1::QueryMetricsResponse* resp) override;
  grpc::Status ListWorkers(grpc::ServerContext*, const v1::ListWorkersRequest* req,
                           v1::ListWorkersResponse* resp) override;
  grpc::Status GetTrialLogs(grpc::ServerContext*, const v1::GetTrialLogsRequest* req,
                            v1::GetTrialLogsResponse* resp) override;
  grpc::Status ReleaseWorker(grpc::ServerContext*, const v1::ReleaseWorkerRequest* req,
                             v1::ReleaseWorkerResponse* resp) override;

 private:
  ClientHandler& handler_;
  const std::atomic<bool>& stopping_;
};

}  // namespace ltsweep::coordinator
