#include "coordinator/client_handler.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "coordinator/convert.h"
#include "spec/bayes.h"
#include "coordinator/device_match.h"
#include "coordinator/trial_pages.h"
#include "spec/expand.h"
#include "spec/spec_limits.h"
#include "spec/sweep_spec.h"

namespace ltsweep::coordinator {

Status ClientHandler::SubmitSweep(const v1::SubmitSweepRequest& request, v1::SubmitSweepResponse* response) {
  const std::string source = request.source_name().empty() ? "<submitted spec>" : request.source_name();
  spec::SpecLimits limits;
  limits.max_bytes = options_.max_spec_bytes;
  LTSWEEP_ASSIGN_OR_RETURN(spec::SweepSpec sweep_spec, spec::ParseSweepSpec(request.spec_yaml(), source, limits));
  spec::ExpandOptions expand_options;
  // The data lives on the workers' machines, not necessarily here.
  expand_options.check_data_paths = false;
  NewSweep sweep;
  spec::ExpandedSweep expanded;
  if (sweep_spec.method == spec::SearchMethod::kBayes) {
    // Trials are made at lease time (coordinator/trial_suggester.h).
    LTSWEEP_RETURN_IF_ERROR(spec::ValidateBayesSweep(sweep_spec, expand_options).status());
    sweep.search = NewSweep::Search{"bayes", sweep_spec.search_seed, *sweep_spec.run_cap};
  } else {
    LTSWEEP_ASSIGN_OR_RETURN(expanded, spec::ExpandSweep(sweep_spec, expand_options));
    if (expanded.trials.empty()) return InvalidArgumentError(source + ": the sweep expands to no trials");
  }
  sweep.request_id = request.request_id();
  sweep.name = sweep_spec.name;
  sweep.timeout_ms = sweep_spec.timeout_ms;
  if (expanded.early_stop) sweep.early_terminate_json = search::RuleToJson(*expanded.early_stop).dump();
  sweep.no_progress_timeout_ms = sweep_spec.no_progress_timeout_ms;
  sweep.gpus = static_cast<int>(sweep_spec.gpus);
  sweep.spec_yaml = request.spec_yaml();
  sweep.priority = static_cast<int>(sweep_spec.priority);
  sweep.max_attempts = static_cast<int>(sweep_spec.max_attempts);
  sweep.rerun = sweep_spec.rerun || request.force_rerun();
  sweep.metric_name = sweep_spec.metric.name;
  sweep.metric_goal = sweep_spec.metric.goal;
  for (const spec::StageSpec& s : sweep_spec.stages) sweep.stages.push_back({s.name, spec::StageFindName(s.find)});
  sweep.trials.reserve(expanded.trials.size());
  for (const auto& t : expanded.trials) sweep.trials.push_back(NewTrial{t.hash, t.config.dump()});
  LTSWEEP_ASSIGN_OR_RETURN(CreatedSweep created, store_.CreateSweep(sweep));
  response->set_sweep_id(created.sweep_id);
  response->set_trials_total(static_cast<int>(created.trial_ids.size()));
  response->set_trials_queued(created.n_queued);
  response->set_trials_reused(created.n_linked);
  if (sweep.search) response->set_run_cap(static_cast<int>(sweep.search->run_cap));
  if (created.existing) {
    options_.log(fmt::format("sweep submission {} from {} repeated: answered with sweep {} (nothing created)",
                             request.request_id(), source, created.sweep_id));
    return Status::Ok();
  }
  if (sweep.search) {
    options_.log(fmt::format("sweep {} submitted: \"{}\" from {}, bayes search up to {} trials, priority {}",
                             created.sweep_id, sweep.name, source, sweep.search->run_cap, sweep.priority));
    return Status::Ok();
  }
  options_.log(fmt::format("sweep {} submitted: \"{}\" from {}, {} trials ({} queued, {} reused), priority {}",
                           created.sweep_id, sweep.name, source, created.trial_ids.size(), created.n_queued,
                           created.n_linked, sweep.priority));
  return Status::Ok();
}

Status ClientHandler::GetSweep(const v1::GetSweepRequest& request, v1::SweepInfo* response) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepInfo info, store_.GetSweep(request.sweep_id()));
  FillSweepInfo(info, response);
  LTSWEEP_ASSIGN_OR_RETURN(auto stages, store_.ListStages(request.sweep_id()));
  FillSweepStages(stages, response, request.with_stage_curves());
  if (auto kinds = store_.AliveSlotKinds(); kinds.ok()) AnnotateWaiting(*kinds, response);
  return Status::Ok();
}

Status ClientHandler::ListSweeps(const v1::ListSweepsRequest&, v1::ListSweepsResponse* response) {
  LTSWEEP_ASSIGN_OR_RETURN(auto sweeps, store_.ListSweeps());
  auto kinds = store_.AliveSlotKinds();
  for (const auto& s : sweeps) {
    FillSweepInfo(s, response->add_sweeps());
    LTSWEEP_ASSIGN_OR_RETURN(auto stages, store_.ListStages(s.sweep.id));
    FillSweepStages(stages, response->mutable_sweeps(response->sweeps_size() - 1));
    if (kinds.ok()) AnnotateWaiting(*kinds, response->mutable_sweeps(response->sweeps_size() - 1));
  }
  return Status::Ok();
}

Status ClientHandler::ListTrials(const v1::ListTrialsRequest& request, v1::ListTrialsResponse* response) {
  if (request.trial_id() != 0) {
    LTSWEEP_ASSIGN_OR_RETURN(TrialInfo info, store_.GetTrial(request.trial_id()));
    v1::TrialInfo* out = response->add_trials();
    FillTrialInfo(info.trial, out);
    for (const AttemptRecord& a : info.attempts) FillAttemptInfo(a, out->add_attempts());
    LTSWEEP_ASSIGN_OR_RETURN(auto decisions, store_.ListEarlyStopDecisions(request.trial_id()));
    for (const EarlyStopRecord& d : decisions) FillEarlyStopDecision(d, out->add_early_stop());
    return Status::Ok();
  }
  LTSWEEP_ASSIGN_OR_RETURN(TrialPageRequest page, ToTrialPageRequest(request, options_));
  LTSWEEP_ASSIGN_OR_RETURN(TrialPage trials, store_.ListTrialsPage(page));
  for (const TrialHistory& t : trials.trials) {
    FillTrialHistory(t, request.include_history(), response->add_trials());
  }
  if (trials.next_after_ordinal) {
    response->set_next_page_token(PageToken(request.sweep_id(), *trials.next_after_ordinal));
  }
  return Status::Ok();
}

Status ClientHandler::CancelSweep(const v1::CancelSweepRequest& request, v1::CancelSweepResponse* response) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepInfo before, store_.GetSweep(request.sweep_id()));
  LTSWEEP_ASSIGN_OR_RETURN(auto leases, store_.CancelSweep(request.sweep_id()));
  response->set_trials_cancelled(before.counts.queued + before.counts.leased + before.counts.running);
  options_.log(fmt::format("sweep {} cancelled: {} running trial(s) to stop", request.sweep_id(), leases.size()));
  for (const auto& l : leases) {
    options_.log(fmt::format("trial {} attempt {} cancelled; worker {} will be told to stop it", l.trial_id,
                             l.attempt, l.worker_id));
  }
  return Status::Ok();
}

Status ClientHandler::QueryMetrics(const v1::QueryMetricsRequest& request, v1::QueryMetricsResponse* response) {
  std::optional<int> attempt;
  if (request.attempt() > 0) attempt = request.attempt();
  LTSWEEP_ASSIGN_OR_RETURN(TrialMetrics m, store_.GetMetrics(request.trial_id(), attempt));
  FillQueryMetrics(m, response);
  return Status::Ok();
}

Status ClientHandler::GetTrialLogs(const v1::GetTrialLogsRequest& request, v1::GetTrialLogsResponse* response) {
  if (request.attempt() < 0 || request.max_bytes() < 0) {
    return InvalidArgumentError("attempt and max_bytes must not be negative");
  }
  TrialLogRequest read;
  read.trial_id = request.trial_id();
  if (request.attempt() > 0) read.attempt = request.attempt();
  read.from_offset = request.from_offset();
  if (request.max_bytes() > 0) read.max_bytes = request.max_bytes();
  LTSWEEP_ASSIGN_OR_RETURN(TrialLog log, store_.GetTrialLogs(read));
  FillTrialLogs(log, response);
  return Status::Ok();
}

Status ClientHandler::ListWorkers(const v1::ListWorkersRequest&, v1::ListWorkersResponse* response) {
  LTSWEEP_ASSIGN_OR_RETURN(auto workers, store_.ListWorkers());
  for (const WorkerInfo& w : workers) {
    auto* out = response->add_workers();
    out->set_worker_id(w.worker.id);
    out->set_host(w.worker.host);
    out->set_slots(w.worker.slots);
    for (int g : w.worker.gpus) out->add_gpus(g);
    out->set_state(WorkerStateName(w.worker.state));
    out->set_registered_ms(w.worker.registered_ms);
    out->set_last_seen_ms(w.worker.last_seen_ms);
    if (w.worker.quarantined_until_ms > options_.clock->NowMillis()) {
      out->set_quarantined_until_ms(w.worker.quarantined_until_ms);
    }
    out->set_last_error(w.worker.last_error);
    out->set_consecutive_failures(w.worker.consecutive_failures);
    for (int64_t trial_id : w.current_trials) {
      auto* c = out->add_current();
      c->set_trial_id(trial_id);
      auto trial = store_.GetTrial(trial_id);
      if (trial.ok()) c->set_sweep_id(trial->trial.sweep_id);
      auto metrics = store_.GetMetrics(trial_id, std::nullopt);
      if (!metrics.ok()) continue;
      c->set_attempt(metrics->attempt);
      int epoch = 0;
      for (const auto& r : metrics->metrics) epoch = std::max(epoch, r.epoch + 1);
      c->set_epoch(epoch);
    }
  }
  return Status::Ok();
}

Status ClientHandler::ReleaseWorker(const v1::ReleaseWorkerRequest& request, v1::ReleaseWorkerResponse* response) {
  if (request.worker_id().empty()) return InvalidArgumentError("worker_id is required");
  LTSWEEP_ASSIGN_OR_RETURN(bool released, store_.ReleaseWorker(request.worker_id()));
  response->set_released(released);
  options_.log(released ? fmt::format("worker {} released from quarantine by hand", request.worker_id())
                        : fmt::format("release of worker {} asked: it was not quarantined", request.worker_id()));
  return Status::Ok();
}

Status ClientHandler::WatchSweep(const v1::WatchSweepRequest& request,
                                 const std::function<bool(const v1::SweepEvent&)>& write,
                                 const std::function<bool()>& stop) {
  // Each open stream holds a server thread: bounded.
  if (watch_streams_.fetch_add(1) >= options_.max_watch_streams) {
    watch_streams_.fetch_sub(1);
    return ResourceExhaustedError(fmt::format(
        "too many WatchSweep streams open ({}, the coordinator's --max-watch-streams); close one or "
        "poll `ltsweep status` instead",
        options_.max_watch_streams));
  }
  struct Release {
    std::atomic<int>& n;
    ~Release() { n.fetch_sub(1); }
  } release{watch_streams_};
  return WatchDeltas(store_, options_, request.sweep_id(), write, stop);
}

}  // namespace ltsweep::coordinator
