#include "cli/coordinator_client.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "proto/credentials.h"

#include "coordinator/convert.h"
#include "store/metric_history.h"

namespace ltsweep::cli {

std::string DefaultCoordinatorAddress() {
  const char* env = std::getenv("LTSWEEP_COORDINATOR");
  return env != nullptr && env[0] != '\0' ? env : "localhost:50051";
}

grpc::ChannelArguments ClientChannelArguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  return args;
}

CoordinatorClient::CoordinatorClient(std::string address, std::chrono::milliseconds timeout)
    : CoordinatorClient(address,
                        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), ClientChannelArguments()),
                        /*tls=*/false, timeout) {}

CoordinatorClient::CoordinatorClient(std::string address, std::shared_ptr<grpc::Channel> channel, bool tls,
                                     std::chrono::milliseconds timeout)
    : address_(std::move(address)), tls_(tls), timeout_(timeout), channel_(std::move(channel)) {
  stub_ = v1::ClientService::NewStub(channel_);
}

Status CoordinatorClient::Convert(const grpc::Status& s) const {
  if (s.ok()) return Status::Ok();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    const std::string hint = proto::TransportErrorHint(s, tls_);
    if (!hint.empty()) {
      return UnavailableError(fmt::format("cannot reach the coordinator at {}: {} ({})", address_, hint,
                                          s.error_message()));
    }
    return UnavailableError(fmt::format("cannot reach the coordinator at {}: {}", address_, s.error_message()));
  }
  return Status(static_cast<StatusCode>(s.error_code()), s.error_message());
}

#define LTSWEEP_UNARY(Method, request, Response)                                     \
  grpc::ClientContext ctx;                                                           \
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);                     \
  Response response;                                                                 \
  Status status = Convert(stub_->Method(&ctx, request, &response));                  \
  if (!status.ok()) return status;                                                   \
  return response

StatusOr<v1::SubmitSweepResponse> CoordinatorClient::Submit(const std::string& yaml, const std::string& source,
                                                            bool rerun, const std::string& request_id) {
  v1::SubmitSweepRequest req;
  req.set_request_id(request_id);
  req.set_spec_yaml(yaml);
  req.set_source_name(source);
  req.set_force_rerun(rerun);
  // Expanding and inserting a 100,000-trial sweep takes seconds: the submit
  // gets at least kSubmitTimeout, whatever the other calls get.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::max(timeout_, kSubmitTimeout));
  v1::SubmitSweepResponse response;
  LTSWEEP_RETURN_IF_ERROR(Convert(stub_->SubmitSweep(&ctx, req, &response)));
  return response;
}

StatusOr<v1::SweepInfo> CoordinatorClient::GetSweep(int64_t sweep_id, bool with_stage_curves) {
  v1::GetSweepRequest req;
  req.set_with_stage_curves(with_stage_curves);
  req.set_sweep_id(sweep_id);
  LTSWEEP_UNARY(GetSweep, req, v1::SweepInfo);
}

StatusOr<v1::ListSweepsResponse> CoordinatorClient::ListSweeps() {
  v1::ListSweepsRequest req;
  LTSWEEP_UNARY(ListSweeps, req, v1::ListSweepsResponse);
}

StatusOr<v1::ListTrialsResponse> CoordinatorClient::ListTrials(const v1::ListTrialsRequest& request) {
  LTSWEEP_UNARY(ListTrials, request, v1::ListTrialsResponse);
}

StatusOr<v1::CancelSweepResponse> CoordinatorClient::Cancel(int64_t sweep_id) {
  v1::CancelSweepRequest req;
  req.set_sweep_id(sweep_id);
  LTSWEEP_UNARY(CancelSweep, req, v1::CancelSweepResponse);
}

StatusOr<v1::GetTrialLogsResponse> CoordinatorClient::GetTrialLogs(int64_t trial_id, int attempt,
                                                                  int64_t from_offset) {
  v1::GetTrialLogsRequest req;
  req.set_trial_id(trial_id);
  req.set_attempt(attempt);
  req.set_from_offset(from_offset);
  LTSWEEP_UNARY(GetTrialLogs, req, v1::GetTrialLogsResponse);
}

StatusOr<v1::QueryMetricsResponse> CoordinatorClient::QueryMetrics(int64_t trial_id, int attempt) {
  v1::QueryMetricsRequest req;
  req.set_trial_id(trial_id);
  req.set_attempt(attempt);
  LTSWEEP_UNARY(QueryMetrics, req, v1::QueryMetricsResponse);
}

StatusOr<v1::ListWorkersResponse> CoordinatorClient::ListWorkers() {
  v1::ListWorkersRequest req;
  LTSWEEP_UNARY(ListWorkers, req, v1::ListWorkersResponse);
}

StatusOr<v1::ReleaseWorkerResponse> CoordinatorClient::ReleaseWorker(const std::string& worker_id) {
  v1::ReleaseWorkerRequest req;
  req.set_worker_id(worker_id);
  LTSWEEP_UNARY(ReleaseWorker, req, v1::ReleaseWorkerResponse);
}

#undef LTSWEEP_UNARY

Status CoordinatorClient::Watch(int64_t sweep_id, const std::function<bool(const v1::SweepEvent&)>& on_event,
                               grpc::ClientContext* context) {
  v1::WatchSweepRequest req;
  req.set_sweep_id(sweep_id);
  auto reader = stub_->WatchSweep(context, req);
  v1::SweepEvent event;
  while (reader->Read(&event)) {
    if (!on_event(event)) {
      context->TryCancel();
      reader->Finish();
      return Status::Ok();
    }
  }
  grpc::Status s = reader->Finish();
  if (s.error_code() == grpc::StatusCode::CANCELLED) return Status::Ok();
  return Convert(s);
}

StatusOr<TrialHistory> CoordinatorClient::FetchTrialHistory(const v1::TrialInfo& info) {
  TrialHistory h;
  h.trial = coordinator::TrialFromProto(info);
  for (const auto& a : info.attempts()) h.attempts.push_back(coordinator::AttemptFromProto(h.trial.id, a));
  for (const auto& d : info.early_stop()) h.early_stop.push_back(coordinator::EarlyStopFromProto(h.trial.id, d));
  // The rows of every attempt (a linked trial's come from its source, whose
  // latest attempt the first answer names), oldest first.
  LTSWEEP_ASSIGN_OR_RETURN(v1::QueryMetricsResponse latest, QueryMetrics(h.trial.id, 0));
  std::vector<TrialMetrics> attempts;
  for (int attempt = 1; attempt < latest.attempt(); ++attempt) {
    auto earlier = QueryMetrics(h.trial.id, attempt);
    if (earlier.ok()) attempts.push_back(coordinator::MetricsFromProto(*earlier));
  }
  if (latest.attempt() > 0) attempts.push_back(coordinator::MetricsFromProto(latest));
  h.metrics = MergeAttempts(attempts);
  h.metrics.source_trial_id = latest.source_trial_id();
  return h;
}

StatusOr<TrialHistory> CoordinatorClient::FetchTrialHistory(int64_t trial_id) {
  v1::ListTrialsRequest req;
  req.set_trial_id(trial_id);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  v1::ListTrialsResponse response;
  LTSWEEP_RETURN_IF_ERROR(Convert(stub_->ListTrials(&ctx, req, &response)));
  if (response.trials_size() != 1) return NotFoundError(fmt::format("unknown trial {}", trial_id));
  return FetchTrialHistory(response.trials(0));
}

Status CoordinatorClient::ForEachTrialPage(v1::ListTrialsRequest request,
                                           const std::function<Status(const v1::ListTrialsResponse&)>& on_page) {
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(v1::ListTrialsResponse page, ListTrials(request));
    LTSWEEP_RETURN_IF_ERROR(on_page(page));
    if (page.next_page_token().empty()) return Status::Ok();
    request.set_page_token(page.next_page_token());
  }
}

StatusOr<SweepHistory> CoordinatorClient::FetchSweepHistory(int64_t sweep_id, bool started_only) {
  LTSWEEP_ASSIGN_OR_RETURN(v1::SweepInfo info, GetSweep(sweep_id, /*with_stage_curves=*/true));
  SweepHistory sweep;
  sweep.sweep = coordinator::SweepFromProto(info);
  sweep.stages = coordinator::StagesFromProto(info);
  sweep.trials.reserve(static_cast<size_t>(std::max(0, info.trials_total())));
  v1::ListTrialsRequest request;
  request.set_sweep_id(sweep_id);
  request.set_page_size(1000);  // the coordinator caps it at its --max-page-size
  request.set_include_config(true);
  request.set_include_history(true);
  request.set_started_only(started_only);
  LTSWEEP_RETURN_IF_ERROR(ForEachTrialPage(request, [&](const v1::ListTrialsResponse& page) {
    for (const v1::TrialInfo& t : page.trials()) sweep.trials.push_back(coordinator::TrialHistoryFromProto(t));
    return Status::Ok();
  }));
  return sweep;
}

}  // namespace ltsweep::cli
