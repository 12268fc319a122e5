#include "coordinator/worker_handler.h"

#include <algorithm>
#include <future>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/trial_logs.h"
#include "common/utc_time.h"
#include "coordinator/convert.h"
#include "coordinator/device_match.h"

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
  LTSWEEP_ASSIGN_OR_RETURN(reg.slot_gpus, SlotGpuCounts(request));
  LTSWEEP_ASSIGN_OR_RETURN(std::string id, store_.RegisterWorker(reg));
  response->set_worker_id(id);
  response->set_heartbeat_interval_ms(options_.heartbeat_interval.count());
  response->set_lease_ttl_ms(options_.lease_ttl.count());
  std::string gpus;
  for (int g : reg.gpus) gpus += (gpus.empty() ? "" : ",") + std::to_string(g);
  std::string kinds;
  for (int n : reg.slot_gpus) kinds += (kinds.empty() ? "" : ",") + (n == 0 ? std::string("cpu") : fmt::format("{}gpu", n));
  options_.log(fmt::format("worker joined: {} (host {}, {} slot(s) [{}], gpus [{}], pid {})", id, reg.host,
                           reg.slots, kinds, gpus, request.pid()));
  return Status::Ok();
}

void WorkerHandler::HeartbeatAsync(const v1::HeartbeatRequest& request, v1::HeartbeatResponse* response,
                                   Done done) {
  Status valid = RequireWorker(request.worker_id());
  if (!valid.ok()) return done(valid);
  std::vector<HeldLease> held;
  held.reserve(static_cast<size_t>(request.leases_size()));
  for (const auto& l : request.leases()) held.push_back(HeldLease{l.trial_id(), l.token()});
  std::vector<HeldLease> sent = held;
  store_.HeartbeatAsync(
      request.worker_id(), std::move(sent), options_.lease_ttl,
      [this, worker = request.worker_id(), held = std::move(held), response,
       done = std::move(done)](StatusOr<std::vector<LeaseRenewal>> renewals) {
        if (!renewals.ok()) return done(renewals.status());
        for (const LeaseRenewal& r : *renewals) {
          v1::LeaseState* st = response->add_leases();
          st->set_trial_id(r.trial_id);
          for (const HeldLease& h : held) {
            if (h.trial_id == r.trial_id) st->set_token(h.token);
          }
          st->set_alive(r.alive);
          st->set_reason(r.reason);
          st->set_deadline_ms(r.deadline_ms);
          st->set_stop(r.stop);
          if (!r.alive) {
            options_.log(fmt::format("lease of trial {} held by worker {} is gone ({}): told to stop",
                                     r.trial_id, worker, r.reason));
          }
        }
        done(Status::Ok());
      });
}

void WorkerHandler::LeaseAsync(const v1::LeaseRequest& request, v1::LeaseResponse* response, Done done) {
  Status valid = RequireWorker(request.worker_id());
  if (!valid.ok()) return done(valid);
  std::vector<int> gpus(request.gpus().begin(), request.gpus().end());
  const int slot_gpus = static_cast<int>(gpus.size());
  store_.LeaseNextTrialAsync(
      request.worker_id(), options_.lease_ttl, request.request_id(), slot_gpus,
      [this, worker = request.worker_id(), slot = request.slot(), request_id = request.request_id(), response,
       gpus = std::move(gpus), done = std::move(done)](StatusOr<std::optional<ltsweep::Lease>> lease) {
        if (!lease.ok()) return done(lease.status());
        if (!lease->has_value()) {
          response->set_granted(false);
          response->set_retry_after_ms(options_.idle_retry.count());
          return done(Status::Ok());
        }
        ltsweep::Lease& l = **lease;
        if (l.repeated) {
          options_.log(fmt::format("lease request {} of worker {} repeated: trial {} attempt {} sent again",
                                   request_id, worker, l.trial_id, l.attempt));
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          trial_sweep_[l.trial_id] = l.sweep_id;
        }
        response->set_granted(true);
        response->set_trial_id(l.trial_id);
        response->set_sweep_id(l.sweep_id);
        response->set_attempt(l.attempt);
        response->set_token(std::move(l.token));
        response->set_deadline_ms(l.deadline_ms);
        response->set_config_json(std::move(l.config_json));
        response->set_config_hash(std::move(l.config_hash));
        response->set_timeout_ms(l.timeout_ms);
        response->set_no_progress_timeout_ms(l.no_progress_timeout_ms);
        for (int g : gpus) response->add_gpus(g);  // only a sweep asking for exactly these matched
        if (l.repeated) return done(Status::Ok());
        options_.log(fmt::format("trial {} (sweep {}) leased to worker {} slot {} as attempt {}/{}", l.trial_id,
                                 l.sweep_id, worker, slot, l.attempt, l.max_attempts));
        done(Status::Ok());
      });
}

void WorkerHandler::ReportMetricsAsync(const v1::ReportMetricsRequest& request,
                                       v1::ReportMetricsResponse* response, Done done) {
  Status valid = RequireWorker(request.worker_id());
  if (valid.ok()) valid = RequireLease(request.lease());
  if (valid.ok() && request.log_chunks_size() > kTrialLogChunksPerReport) {
    valid = InvalidArgumentError(fmt::format("log_chunks: {} chunks, at most {} per report",
                                             request.log_chunks_size(), kTrialLogChunksPerReport));
  }
  if (!valid.ok()) return done(valid);
  MetricBatch batch = ToMetricBatch(request);
  batch.worker_id = request.worker_id();  // a lease token is good only from its worker
  int64_t max_epoch = -1;  // what early termination judges
  for (const MetricRow& row : batch.metrics) max_epoch = std::max<int64_t>(max_epoch, row.epoch);
  int64_t sweep_id = 0;  // known since the lease, unless the coordinator restarted
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = trial_sweep_.find(request.lease().trial_id());
    if (it != trial_sweep_.end()) sweep_id = it->second;
  }
  store_.ReportMetricsAsync(
      request.lease().trial_id(), request.lease().token(), std::move(batch),
      [this, response, worker = request.worker_id(), trial_id = request.lease().trial_id(),
       token = request.lease().token(), max_epoch, sweep_id, done = std::move(done)](StatusOr<ReportResult> result) {
        if (!result.ok()) return done(result.status());
        response->set_rows_written(result->rows_written);
        response->set_rows_rejected(result->rows_rejected);
        response->set_first_rejection(result->first_rejection);
        if (result->rows_rejected > 0) {
          options_.log(fmt::format("metrics of trial {} from worker {}: rejected {} bad row(s), wrote {} ({})",
                                   trial_id, worker, result->rows_rejected, result->rows_written,
                                   result->first_rejection));
        }
        judge_.JudgeAsync(trial_id, sweep_id, token, max_epoch, [response, done](bool stop, std::string reason) {
          response->set_stop(stop);
          response->set_stop_reason(std::move(reason));
          done(Status::Ok());
        });
      });
}

StatusOr<std::string> WorkerHandler::MetricNameOf(int64_t trial_id) {
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
  std::string metric = sweep.sweep.metric_name.empty() ? "val_error" : sweep.sweep.metric_name;
  std::lock_guard<std::mutex> lock(mu_);
  trial_sweep_[trial_id] = sweep_id;
  sweep_metric_[sweep_id] = metric;
  return metric;
}

void WorkerHandler::FillResult(int64_t trial_id, const v1::FinishAttemptRequest& request, FinishRequest* finish) {
  // What the done event lacks stays as the store kept it from this
  // attempt's reports (Store::ReportMetrics tracks best/last of the sweep's
  // metric), so nothing else needs reading here.
  if (request.result_json().empty()) return;
  nlohmann::json done = nlohmann::json::parse(request.result_json(), nullptr, false);
  if (!done.is_object()) return;
  auto metric = MetricNameOf(trial_id);
  if (!metric.ok()) return;
  auto best = done.find("best_" + *metric);
  auto last = done.find("last_" + *metric);
  auto epoch = done.find("best_epoch");
  if (best != done.end() && best->is_number()) finish->best_metric = best->get<double>();
  if (last != done.end() && last->is_number()) finish->last_metric = last->get<double>();
  if (epoch != done.end() && epoch->is_number_integer()) finish->best_epoch = epoch->get<int>();
}

void WorkerHandler::FinishAttemptAsync(const v1::FinishAttemptRequest& request,
                                       v1::FinishAttemptResponse* response, Done done) {
  Status valid = RequireWorker(request.worker_id());
  if (valid.ok()) valid = RequireLease(request.lease());
  if (valid.ok() && request.outcome() == v1::OUTCOME_UNSPECIFIED) valid = InvalidArgumentError("outcome is required");
  if (!valid.ok()) return done(valid);
  const int64_t trial_id = request.lease().trial_id();
  FinishRequest finish;
  finish.worker_id = request.worker_id();  // a lease token is good only from its worker
  finish.exit_code = request.exit_code();
  finish.outcome = ToAttemptOutcome(request.outcome());
  finish.error = request.error();
  if (finish.outcome == AttemptOutcome::kSucceeded) FillResult(trial_id, request, &finish);
  const AttemptOutcome outcome = finish.outcome;
  const std::optional<double> best = finish.best_metric;
  store_.FinishAttemptAsync(
      trial_id, request.lease().token(), std::move(finish),
      [this, trial_id, worker = request.worker_id(), attempt = request.lease().attempt(),
       error = request.error().substr(0, 300), outcome, best, response,
       done = std::move(done)](StatusOr<FinishResult> result) {
        if (!result.ok()) return done(result.status());
        if (IsTerminal(result->trial_state)) {
          std::lock_guard<std::mutex> lock(mu_);
          trial_sweep_.erase(trial_id);  // a finished trial is not asked about again
        }
        if (result->quarantine) LogQuarantine(*result->quarantine);
        response->set_requeued(result->requeued);
        response->set_trial_state(TrialStateName(result->trial_state));
        if (result->trial_state == TrialState::kSucceeded) {
          options_.log(fmt::format("trial {} succeeded on worker {} (attempt {}{})", trial_id, worker, attempt,
                                   best ? fmt::format(", best {}", *best) : ""));
        } else if (result->trial_state == TrialState::kStopped) {
          options_.log(fmt::format("trial {} stopped early on worker {} (attempt {})", trial_id, worker, attempt));
        } else if (result->requeued) {
          options_.log(fmt::format("trial {} attempt {} on worker {} ended {}: {}; retried as attempt {}", trial_id,
                                   attempt, worker, AttemptOutcomeName(outcome), error, attempt + 1));
        } else {
          options_.log(fmt::format("trial {} failed on worker {} (attempt {}, {}): {}", trial_id, worker, attempt,
                                   AttemptOutcomeName(outcome), error));
        }
        done(Status::Ok());
      });
}

namespace {

// Runs an asynchronous handler call and waits for its status.
Status Wait(const std::function<void(WorkerHandler::Done)>& call) {
  std::promise<Status> answer;
  std::future<Status> status = answer.get_future();
  call([&answer](Status s) { answer.set_value(std::move(s)); });
  return status.get();
}

}  // namespace

Status WorkerHandler::Heartbeat(const v1::HeartbeatRequest& request, v1::HeartbeatResponse* response) {
  return Wait([&](Done done) { HeartbeatAsync(request, response, std::move(done)); });
}
Status WorkerHandler::Lease(const v1::LeaseRequest& request, v1::LeaseResponse* response) {
  return Wait([&](Done done) { LeaseAsync(request, response, std::move(done)); });
}
Status WorkerHandler::ReportMetrics(const v1::ReportMetricsRequest& request, v1::ReportMetricsResponse* response) {
  return Wait([&](Done done) { ReportMetricsAsync(request, response, std::move(done)); });
}
Status WorkerHandler::FinishAttempt(const v1::FinishAttemptRequest& request, v1::FinishAttemptResponse* response) {
  return Wait([&](Done done) { FinishAttemptAsync(request, response, std::move(done)); });
}

void WorkerHandler::LogQuarantine(const Quarantine& q) {
  options_.log(fmt::format("worker {} quarantined until {} after {} failed attempts in a row: {}", q.worker_id,
                           FormatUtcMillis(q.until_ms), q.failures, q.last_error.substr(0, 300)));
}

Status WorkerHandler::StopWorker(const v1::StopWorkerRequest& request, v1::StopWorkerResponse* response) {
  LTSWEEP_RETURN_IF_ERROR(RequireWorker(request.worker_id()));
  LTSWEEP_RETURN_IF_ERROR(store_.MarkWorkerStopped(request.worker_id()));
  options_.log(fmt::format("worker stopped: {}", request.worker_id()));
  return Status::Ok();
}

}  // namespace ltsweep::coordinator
