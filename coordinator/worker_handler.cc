#include "coordinator/worker_handler.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "coordinator/convert.h"

namespace ltsweep::coordinator {

namespace {

Status RequireWorker(const std::string& id) {
  if (id.empty()) return InvalidArgumentError("worker_id is required (register first)");
  return Status::Ok();
}

Status RequireLease(const v1::LeaseRef& lease) {
  if (lease.trial_id() <= 0) return InvalidArgumentError("lease.trial_id is required");
  if (lease.token().empty()) return InvalidArgumentError("lease.token is required");
  return Status::Ok();
}

}  // namespace

Status WorkerHandler::Register(const v1::RegisterRequest& request, v1::RegisterResponse* response) {
  if (request.slots() < 1) return InvalidArgumentError(fmt::format("slots: must be at least 1, got {}", request.slots()));
  if (request.host().empty()) return InvalidArgumentError("host is required");
  WorkerRegistration reg;
  reg.worker_id = request.worker_id();
  reg.host = request.host();
  reg.slots = request.slots();
  reg.gpus.assign(request.gpus().begin(), request.gpus().end());
  LTSWEEP_ASSIGN_OR_RETURN(std::string id, store_.RegisterWorker(reg));
  response->set_worker_id(id);
  response->set_heartbeat_interval_ms(options_.heartbeat_interval.count());
  response->set_lease_ttl_ms(options_.lease_ttl.count());
  std::string gpus;
  for (int g : reg.gpus) gpus += (gpus.empty() ? "" : ",") + std::to_string(g);
  options_.log(fmt::format("worker joined: {} (host {}, {} slot(s), gpus [{}], pid {})", id, reg.host, reg.slots,
                           gpus, request.pid()));
  return Status::Ok();
}

Status WorkerHandler::Heartbeat(const v1::HeartbeatRequest& request, v1::HeartbeatResponse* response) {
  LTSWEEP_RETURN_IF_ERROR(RequireWorker(request.worker_id()));
  std::vector<HeldLease> held;
  held.reserve(static_cast<size_t>(request.leases_size()));
  for (const auto& l : request.leases()) held.push_back(HeldLease{l.trial_id(), l.token()});
  LTSWEEP_ASSIGN_OR_RETURN(auto renewals, store_.Heartbeat(request.worker_id(), held, options_.lease_ttl));
  for (const LeaseRenewal& r : renewals) {
    v1::LeaseState* st = response->add_leases();
    st->set_trial_id(r.trial_id);
    for (const HeldLease& h : held) {
      if (h.trial_id == r.trial_id) st->set_token(h.token);
    }
    st->set_alive(r.alive);
    st->set_reason(r.reason);
    st->set_deadline_ms(r.deadline_ms);
    if (!r.alive) {
      options_.log(fmt::format("lease of trial {} held by worker {} is gone ({}): told to stop", r.trial_id,
                               request.worker_id(), r.reason));
    }
  }
  return Status::Ok();
}

Status WorkerHandler::Lease(const v1::LeaseRequest& request, v1::LeaseResponse* response) {
  LTSWEEP_RETURN_IF_ERROR(RequireWorker(request.worker_id()));
  LTSWEEP_ASSIGN_OR_RETURN(std::optional<ltsweep::Lease> lease,
                           store_.LeaseNextTrial(request.worker_id(), options_.lease_ttl));
  if (!lease) {
    response->set_granted(false);
    response->set_retry_after_ms(options_.idle_retry.count());
    return Status::Ok();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    trial_sweep_[lease->trial_id] = lease->sweep_id;
  }
  response->set_granted(true);
  response->set_trial_id(lease->trial_id);
  response->set_sweep_id(lease->sweep_id);
  response->set_attempt(lease->attempt);
  response->set_token(lease->token);
  response->set_deadline_ms(lease->deadline_ms);
  response->set_config_json(lease->config_json);
  response->set_config_hash(lease->config_hash);
  options_.log(fmt::format("trial {} (sweep {}) leased to worker {} slot {} as attempt {}/{}", lease->trial_id,
                           lease->sweep_id, request.worker_id(), request.slot(), lease->attempt,
                           lease->max_attempts));
  return Status::Ok();
}

Status WorkerHandler::ReportMetrics(const v1::ReportMetricsRequest& request, v1::ReportMetricsResponse* response) {
  LTSWEEP_RETURN_IF_ERROR(RequireWorker(request.worker_id()));
  LTSWEEP_RETURN_IF_ERROR(RequireLease(request.lease()));
  MetricBatch batch = ToMetricBatch(request);
  LTSWEEP_RETURN_IF_ERROR(store_.ReportMetrics(request.lease().trial_id(), request.lease().token(), batch));
  response->set_rows_written(static_cast<int64_t>(batch.size()));
  return Status::Ok();
}

StatusOr<WorkerHandler::SweepMetric> WorkerHandler::MetricOf(int64_t trial_id) {
  int64_t sweep_id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = trial_sweep_.find(trial_id);
    if (it != trial_sweep_.end()) {
      sweep_id = it->second;
      auto m = sweep_metric_.find(sweep_id);
      if (m != sweep_metric_.end()) return m->second;
    }
  }
  if (sweep_id == 0) {
    LTSWEEP_ASSIGN_OR_RETURN(TrialInfo info, store_.GetTrial(trial_id));
    sweep_id = info.trial.sweep_id;
  }
  LTSWEEP_ASSIGN_OR_RETURN(SweepInfo sweep, store_.GetSweep(sweep_id));
  SweepMetric metric{sweep.sweep.metric_name.empty() ? "val_error" : sweep.sweep.metric_name,
                     sweep.sweep.metric_goal.empty() ? "minimize" : sweep.sweep.metric_goal};
  std::lock_guard<std::mutex> lock(mu_);
  trial_sweep_[trial_id] = sweep_id;
  sweep_metric_[sweep_id] = metric;
  return metric;
}

void WorkerHandler::FillResult(int64_t trial_id, const v1::FinishAttemptRequest& request, FinishRequest* finish) {
  auto metric = MetricOf(trial_id);
  if (!metric.ok()) return;
  const std::string& name = metric->name;
  const bool maximize = metric->goal == "maximize";
  if (!request.result_json().empty()) {
    nlohmann::json done = nlohmann::json::parse(request.result_json(), nullptr, false);
    if (done.is_object()) {
      auto best = done.find("best_" + name);
      auto last = done.find("last_" + name);
      auto epoch = done.find("best_epoch");
      if (best != done.end() && best->is_number()) finish->best_metric = best->get<double>();
      if (last != done.end() && last->is_number()) finish->last_metric = last->get<double>();
      if (epoch != done.end() && epoch->is_number_integer()) finish->best_epoch = epoch->get<int>();
    }
  }
  if (finish->best_metric && finish->last_metric) return;
  // Not in the done event: from the stored rows of this attempt.
  auto rows = store_.GetMetrics(trial_id, request.lease().attempt());
  if (!rows.ok()) return;
  std::optional<double> best, last;
  int best_epoch = -1, last_epoch = -1;
  for (const MetricRow& r : rows->metrics) {
    if (r.name != name || std::isnan(r.value)) continue;
    if (!best || (maximize ? r.value > *best : r.value < *best)) best = r.value, best_epoch = r.epoch;
    if (r.epoch >= last_epoch) last = r.value, last_epoch = r.epoch;
  }
  if (!finish->best_metric && best) {
    finish->best_metric = best;
    finish->best_epoch = best_epoch;
  }
  if (!finish->last_metric && last) finish->last_metric = last;
}

Status WorkerHandler::FinishAttempt(const v1::FinishAttemptRequest& request, v1::FinishAttemptResponse* response) {
  LTSWEEP_RETURN_IF_ERROR(RequireWorker(request.worker_id()));
  LTSWEEP_RETURN_IF_ERROR(RequireLease(request.lease()));
  if (request.outcome() == v1::OUTCOME_UNSPECIFIED) return InvalidArgumentError("outcome is required");
  const int64_t trial_id = request.lease().trial_id();
  FinishRequest finish;
  finish.exit_code = request.exit_code();
  finish.outcome = ToAttemptOutcome(request.outcome());
  finish.error = request.error();
  if (finish.outcome == AttemptOutcome::kSucceeded) FillResult(trial_id, request, &finish);
  LTSWEEP_ASSIGN_OR_RETURN(FinishResult result, store_.FinishAttempt(trial_id, request.lease().token(), finish));
  if (IsTerminal(result.trial_status)) {
    std::lock_guard<std::mutex> lock(mu_);
    trial_sweep_.erase(trial_id);  // a finished trial is not asked about again
  }
  response->set_requeued(result.requeued);
  response->set_trial_state(TrialStatusName(result.trial_status));
  const int attempt = request.lease().attempt();
  const std::string error = request.error().substr(0, 300);
  if (result.trial_status == TrialStatus::kSucceeded) {
    options_.log(fmt::format("trial {} succeeded on worker {} (attempt {}{})", trial_id, request.worker_id(), attempt,
                             finish.best_metric ? fmt::format(", best {}", *finish.best_metric) : ""));
  } else if (result.requeued) {
    options_.log(fmt::format("trial {} attempt {} on worker {} ended {}: {}; retried as attempt {}", trial_id, attempt,
                             request.worker_id(), AttemptOutcomeName(finish.outcome), error, attempt + 1));
  } else {
    options_.log(fmt::format("trial {} failed on worker {} (attempt {}, {}): {}", trial_id, request.worker_id(),
                             attempt, AttemptOutcomeName(finish.outcome), error));
  }
  return Status::Ok();
}

Status WorkerHandler::StopWorker(const v1::StopWorkerRequest& request, v1::StopWorkerResponse* response) {
  LTSWEEP_RETURN_IF_ERROR(RequireWorker(request.worker_id()));
  LTSWEEP_RETURN_IF_ERROR(store_.MarkWorkerStopped(request.worker_id()));
  options_.log(fmt::format("worker stopped: {}", request.worker_id()));
  return Status::Ok();
}

}  // namespace ltsweep::coordinator
