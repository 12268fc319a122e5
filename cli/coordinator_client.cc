#include "cli/coordinator_client.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

namespace ltsweep::cli {

std::string DefaultCoordinatorAddress() {
  const char* env = std::getenv("LTSWEEP_COORDINATOR");
  return env != nullptr && env[0] != '\0' ? env : "localhost:50051";
}

CoordinatorClient::CoordinatorClient(std::string address, std::chrono::milliseconds timeout)
    : address_(std::move(address)), timeout_(timeout) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  channel_ = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::ClientService::NewStub(channel_);
}

Status CoordinatorClient::Convert(const grpc::Status& s) const {
  if (s.ok()) return Status::Ok();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
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
                                                            bool rerun) {
  v1::SubmitSweepRequest req;
  req.set_spec_yaml(yaml);
  req.set_source_name(source);
  req.set_force_rerun(rerun);
  LTSWEEP_UNARY(SubmitSweep, req, v1::SubmitSweepResponse);
}

StatusOr<v1::SweepInfo> CoordinatorClient::GetSweep(int64_t sweep_id) {
  v1::GetSweepRequest req;
  req.set_sweep_id(sweep_id);
  LTSWEEP_UNARY(GetSweep, req, v1::SweepInfo);
}

StatusOr<v1::ListSweepsResponse> CoordinatorClient::ListSweeps() {
  v1::ListSweepsRequest req;
  LTSWEEP_UNARY(ListSweeps, req, v1::ListSweepsResponse);
}

StatusOr<v1::ListTrialsResponse> CoordinatorClient::ListTrials(int64_t sweep_id) {
  v1::ListTrialsRequest req;
  req.set_sweep_id(sweep_id);
  LTSWEEP_UNARY(ListTrials, req, v1::ListTrialsResponse);
}

StatusOr<v1::CancelSweepResponse> CoordinatorClient::Cancel(int64_t sweep_id) {
  v1::CancelSweepRequest req;
  req.set_sweep_id(sweep_id);
  LTSWEEP_UNARY(CancelSweep, req, v1::CancelSweepResponse);
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

StatusOr<report::TrialRecord> CoordinatorClient::FetchTrialRecord(const v1::TrialInfo& info) {
  report::TrialRecord t;
  t.trial_id = info.trial_id();
  t.sweep_id = info.sweep_id();
  t.status = info.state();
  t.config = nlohmann::json::parse(info.config_json(), nullptr, /*allow_exceptions=*/false);
  if (t.config.is_discarded()) {
    return DataLossError(fmt::format("trial {}: the coordinator sent a config that is not JSON", t.trial_id));
  }
  t.config_hash = info.config_hash();
  t.attempts = info.attempt();
  t.error = info.error();
  for (const auto& a : info.attempts()) {
    report::AttemptRecord r;
    r.attempt = a.attempt();
    r.state = a.state();
    r.worker = a.worker_id();
    r.error = a.error();
    r.started_ms = a.started_ms();
    r.finished_ms = a.ended_ms();
    t.attempt_history.push_back(std::move(r));
  }
  // Metrics of every attempt (a linked trial's come from its source, whose
  // attempts the first answer names).
  LTSWEEP_ASSIGN_OR_RETURN(v1::QueryMetricsResponse latest, QueryMetrics(t.trial_id, 0));
  std::vector<v1::QueryMetricsResponse> answers;
  for (int attempt = 1; attempt < latest.attempt(); ++attempt) {
    auto earlier = QueryMetrics(t.trial_id, attempt);
    if (earlier.ok()) answers.push_back(std::move(earlier).value());
  }
  answers.push_back(std::move(latest));
  std::map<std::string, std::map<int, double>> scalars;
  std::map<std::string, std::map<int, std::map<int, double>>> per_class;
  int confusion_epoch = std::numeric_limits<int>::min();
  for (const auto& m : answers) {
    for (const auto& p : m.points()) {
      if (p.class_index() < 0) {
        scalars[p.name()][p.epoch()] = p.value();
      } else {
        per_class["per_class_" + p.name()][p.epoch()][p.class_index()] = p.value();
      }
    }
    for (const auto& p : m.payloads()) {
      nlohmann::json j = nlohmann::json::parse(p.json(), nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) continue;
      if (p.kind() == "start") {
        report::ReadClassInfo(j, t);
      } else if (p.kind() == "done") {
        t.done = j;
        report::ReadClassInfo(j, t);
      } else if (p.kind() == "confusion" && p.epoch() >= confusion_epoch) {
        t.confusion = j;
        confusion_epoch = p.epoch();
      }
    }
  }
  for (auto& [name, by_epoch] : scalars) t.scalar_series[name] = report::Series(by_epoch.begin(), by_epoch.end());
  for (auto& [name, by_epoch] : per_class) {
    for (auto& [epoch, by_class] : by_epoch) {
      std::vector<double> values(static_cast<size_t>(by_class.rbegin()->first) + 1,
                                 std::numeric_limits<double>::quiet_NaN());
      for (const auto& [c, v] : by_class) values[static_cast<size_t>(c)] = v;
      t.per_class[name][epoch] = std::move(values);
    }
  }
  return t;
}

StatusOr<report::TrialRecord> CoordinatorClient::FetchTrialRecord(int64_t trial_id) {
  v1::ListTrialsRequest req;
  req.set_trial_id(trial_id);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  v1::ListTrialsResponse response;
  LTSWEEP_RETURN_IF_ERROR(Convert(stub_->ListTrials(&ctx, req, &response)));
  if (response.trials_size() != 1) return NotFoundError(fmt::format("unknown trial {}", trial_id));
  return FetchTrialRecord(response.trials(0));
}

StatusOr<report::SweepRecord> CoordinatorClient::FetchSweepRecord(int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(v1::SweepInfo info, GetSweep(sweep_id));
  report::SweepRecord sweep;
  sweep.sweep_id = info.sweep_id();
  sweep.name = info.name();
  sweep.state = info.state();
  if (!info.metric_name().empty()) sweep.metric = info.metric_name();
  if (!info.metric_goal().empty()) sweep.goal = info.metric_goal();
  LTSWEEP_ASSIGN_OR_RETURN(v1::ListTrialsResponse trials, ListTrials(sweep_id));
  for (const auto& t : trials.trials()) {
    LTSWEEP_ASSIGN_OR_RETURN(report::TrialRecord record, FetchTrialRecord(t));
    sweep.trials.push_back(std::move(record));
  }
  return sweep;
}

}  // namespace ltsweep::cli
