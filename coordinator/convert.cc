#include "coordinator/convert.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/config_schema.h"
#include "store/metric_history.h"

namespace ltsweep::coordinator {

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(status.code())), status.message());
}

void FillSweepStages(const std::vector<StageRecord>& stages, v1::SweepInfo* out, bool with_curves) {
  for (const StageRecord& r : stages) {
    v1::SweepStage* st = out->add_stages();
    st->set_stage(r.stage);
    st->set_name(r.name);
    st->set_find(r.find);
    st->set_state(r.state);
    st->set_trials(r.n_trials);
    st->set_found_json(r.found_json);
    st->set_error(r.error);
    st->set_first_ordinal(r.first_ordinal);
    if (with_curves) {
      st->set_evidence_json(r.evidence_json);
      continue;
    }
    Json evidence = Json::parse(r.evidence_json.empty() ? "{}" : r.evidence_json, nullptr, false);
    if (evidence.is_object()) {
      evidence.erase("curve");
      st->set_evidence_json(evidence.dump());
    }
  }
}

std::vector<StageRecord> StagesFromProto(const v1::SweepInfo& in) {
  std::vector<StageRecord> out;
  for (const v1::SweepStage& st : in.stages()) {
    StageRecord r;
    r.sweep_id = in.sweep_id();
    r.stage = st.stage();
    r.name = st.name();
    r.find = st.find();
    r.state = st.state();
    r.first_ordinal = st.first_ordinal();
    r.n_trials = st.trials();
    r.found_json = st.found_json();
    r.evidence_json = st.evidence_json();
    r.error = st.error();
    out.push_back(std::move(r));
  }
  return out;
}

void FillSweepInfo(const SweepInfo& in, v1::SweepInfo* out) {
  const SweepRecord& s = in.sweep;
  out->set_sweep_id(s.id);
  out->set_name(s.name);
  out->set_state(SweepStateName(s.state));
  out->set_priority(s.priority);
  out->set_metric_name(s.metric_name);
  out->set_metric_goal(s.metric_goal);
  out->set_trials_total(in.counts.total());
  out->set_trials_queued(in.counts.queued);
  out->set_trials_running(in.counts.leased + in.counts.running);
  out->set_trials_succeeded(in.counts.succeeded);
  out->set_trials_failed(in.counts.failed);
  out->set_trials_cancelled(in.counts.cancelled);
  out->set_trials_linked(in.counts.linked);
  out->set_trials_stopped(in.counts.stopped);
  out->set_created_ms(s.created_ms);
  if (s.run_cap) out->set_run_cap(static_cast<int32_t>(*s.run_cap));
  out->set_gpus(s.gpus);
  out->set_epochs_queued(in.counts.epochs_at(TrialState::kQueued));
  out->set_epochs_running(in.counts.epochs_at(TrialState::kLeased) +
                          in.counts.epochs_at(TrialState::kRunning));
  out->set_epochs_succeeded(in.counts.epochs_at(TrialState::kSucceeded));
  out->set_trials_expected(s.n_trials);
}

void FillTrialInfo(const TrialRecord& t, v1::TrialInfo* out) {
  out->set_trial_id(t.id);
  out->set_sweep_id(t.sweep_id);
  out->set_ordinal(t.ordinal);
  out->set_state(TrialStateName(t.state));
  out->set_attempt(t.attempts);
  out->set_config_json(t.config_json);
  out->set_config_hash(t.config_hash);
  out->set_worker_id(t.worker_id);
  out->set_error(t.error);
  out->set_has_best(t.best_metric.has_value());
  out->set_best_value(t.best_metric.value_or(0));
  out->set_best_epoch(t.best_epoch.value_or(-1));
  out->set_has_last(t.last_metric.has_value());
  out->set_last_value(t.last_metric.value_or(0));
  out->set_reused_from(t.reused_from_trial_id.value_or(0));
}

v1::AttemptRuntime ToProto(const AttemptRuntime& in) {
  v1::AttemptRuntime out;
  out.set_threads(in.threads);
  out.set_blas(in.blas);
  out.set_blas_threads(in.blas_threads);
  out.set_device(in.device);
  return out;
}

AttemptRuntime RuntimeFromProto(const v1::AttemptRuntime& in) {
  return AttemptRuntime{in.threads(), in.blas(), in.blas_threads(), in.device()};
}

void FillAttemptInfo(const AttemptRecord& a, v1::AttemptInfo* out) {
  out->set_attempt(a.attempt);
  out->set_state(AttemptStateName(a.state));
  out->set_worker_id(a.worker_id);
  out->set_error(a.error);
  out->set_started_ms(a.started_ms);
  out->set_ended_ms(a.ended_ms.value_or(0));
  if (a.runtime) *out->mutable_runtime() = ToProto(*a.runtime);
}

void FillEarlyStopDecision(const EarlyStopRecord& in, v1::EarlyStopDecision* out) {
  out->set_attempt(in.attempt);
  out->set_epoch(in.epoch);
  out->set_rung(in.rung.value_or(-1));
  out->set_rung_epochs(in.rung_epochs);
  out->set_stop(in.stop);
  out->set_guarded(in.guarded);
  out->set_value(in.value);
  out->set_threshold(in.threshold);
  out->set_compared(in.compared);
  out->set_compared_with(in.compared_with);
  out->set_time_ms(in.time_ms);
}

EarlyStopRecord EarlyStopFromProto(int64_t trial_id, const v1::EarlyStopDecision& in) {
  EarlyStopRecord r;
  r.trial_id = trial_id;
  r.attempt = in.attempt();
  r.epoch = in.epoch();
  if (in.rung() >= 0) r.rung = in.rung();
  r.rung_epochs = in.rung_epochs();
  r.stop = in.stop();
  r.guarded = in.guarded();
  r.value = in.value();
  r.threshold = in.threshold();
  r.compared = in.compared();
  r.compared_with = in.compared_with();
  r.time_ms = in.time_ms();
  return r;
}

namespace {

// The scalars, per-class rows and payloads of rows and payloads from the wire.
template <typename Rows, typename Payloads>
void SplitRows(const Rows& rows, const Payloads& payloads, std::vector<MetricRow>& metrics,
               std::vector<PerClassRow>& per_class, std::vector<PayloadRow>& payload_rows) {
  for (const v1::MetricRow& r : rows) {
    if (r.class_index() < 0) {
      metrics.push_back(MetricRow{r.epoch(), r.name(), r.value()});
    } else {
      per_class.push_back(PerClassRow{r.epoch(), r.name(), r.class_index(), r.value()});
    }
  }
  for (const v1::Payload& p : payloads) payload_rows.push_back(PayloadRow{p.epoch(), p.kind(), p.json()});
}

void FillRow(int epoch, const std::string& name, double value, int class_index, v1::MetricRow* out) {
  out->set_epoch(epoch);
  out->set_name(name);
  out->set_value(value);
  out->set_class_index(class_index);
}

}  // namespace

void FillQueryMetrics(const TrialMetrics& m, v1::QueryMetricsResponse* out) {
  out->set_trial_id(m.trial_id);
  out->set_source_trial_id(m.source_trial_id);
  out->set_attempt(m.attempt);
  for (const MetricRow& r : m.metrics) FillRow(r.epoch, r.name, r.value, -1, out->add_points());
  for (const PerClassRow& r : m.per_class) FillRow(r.epoch, r.name, r.value, r.class_index, out->add_points());
  for (const PayloadRow& r : m.payloads) {
    v1::Payload* p = out->add_payloads();
    p->set_epoch(r.epoch);
    p->set_kind(r.kind);
    p->set_json(r.json);
  }
}

SweepRecord SweepFromProto(const v1::SweepInfo& in) {
  SweepRecord s;
  s.id = in.sweep_id();
  s.name = in.name();
  s.state = ParseSweepState(in.state()).value_or(SweepState::kPending);
  s.priority = in.priority();
  s.metric_name = in.metric_name();
  s.metric_goal = in.metric_goal();
  s.n_trials = in.trials_total();
  if (in.run_cap() > 0) s.run_cap = in.run_cap();
  s.created_ms = in.created_ms();
  return s;
}

TrialRecord TrialFromProto(const v1::TrialInfo& in) {
  TrialRecord t;
  t.id = in.trial_id();
  t.sweep_id = in.sweep_id();
  t.ordinal = in.ordinal();
  t.state = ParseTrialState(in.state()).value_or(TrialState::kQueued);
  t.attempts = in.attempt();
  t.config_json = in.config_json();
  t.config_hash = in.config_hash();
  t.worker_id = in.worker_id();
  t.error = in.error();
  if (in.has_best()) t.best_metric = in.best_value();
  if (in.best_epoch() >= 0) t.best_epoch = in.best_epoch();
  if (in.has_last()) t.last_metric = in.last_value();
  if (in.reused_from() != 0) t.reused_from_trial_id = in.reused_from();
  return t;
}

AttemptRecord AttemptFromProto(int64_t trial_id, const v1::AttemptInfo& in) {
  AttemptRecord a;
  a.trial_id = trial_id;
  a.attempt = in.attempt();
  a.worker_id = in.worker_id();
  a.state = ParseAttemptState(in.state()).value_or(AttemptState::kRunning);
  a.error = in.error();
  a.started_ms = in.started_ms();
  if (in.ended_ms() != 0) a.ended_ms = in.ended_ms();
  if (in.has_runtime()) a.runtime = RuntimeFromProto(in.runtime());
  return a;
}

void FillTrialHistory(const TrialHistory& in, bool with_history, v1::TrialInfo* out) {
  FillTrialInfo(in.trial, out);
  if (!with_history) return;
  for (const AttemptRecord& a : in.attempts) FillAttemptInfo(a, out->add_attempts());
  out->set_has_history(true);
  out->set_history_source_trial_id(in.metrics.source_trial_id);
  for (const auto& [name, series] : in.metrics.scalars) {
    for (const auto& [epoch, value] : series) FillRow(epoch, name, value, -1, out->add_history());
  }
  for (const auto& [name, epochs] : in.metrics.per_class) {
    for (const auto& [epoch, values] : epochs) {
      for (size_t c = 0; c < values.size(); ++c) {
        if (std::isnan(values[c])) continue;  // a class without a row
        FillRow(epoch, name, values[c], static_cast<int>(c), out->add_history());
      }
    }
  }
  for (const PayloadRow& r : in.metrics.payloads) {
    v1::Payload* p = out->add_history_payloads();
    p->set_epoch(r.epoch);
    p->set_kind(r.kind);
    p->set_json(r.json);
  }
}

TrialHistory TrialHistoryFromProto(const v1::TrialInfo& in) {
  TrialHistory h;
  h.trial = TrialFromProto(in);
  for (const auto& a : in.attempts()) h.attempts.push_back(AttemptFromProto(h.trial.id, a));
  // The rows were merged already: merging them once more as one attempt
  // gives back the same history.
  TrialMetrics merged;
  merged.trial_id = in.trial_id();
  merged.source_trial_id = in.history_source_trial_id();
  merged.attempt = 1;
  SplitRows(in.history(), in.history_payloads(), merged.metrics, merged.per_class, merged.payloads);
  h.metrics = MergeAttempts({merged});
  h.metrics.source_trial_id = in.history_source_trial_id();
  return h;
}

TrialMetrics MetricsFromProto(const v1::QueryMetricsResponse& in) {
  TrialMetrics m;
  m.trial_id = in.trial_id();
  m.source_trial_id = in.source_trial_id();
  m.attempt = in.attempt();
  SplitRows(in.points(), in.payloads(), m.metrics, m.per_class, m.payloads);
  return m;
}

void FillTrialLogs(const TrialLog& in, v1::GetTrialLogsResponse* out) {
  out->set_trial_id(in.trial_id);
  out->set_source_trial_id(in.source_trial_id);
  out->set_attempt(in.attempt);
  out->set_attempt_state(in.attempt_state);
  out->set_finished(in.finished);
  out->set_text(in.text);
  out->set_next_offset(in.next_offset);
  out->set_dropped_bytes(in.dropped_bytes);
  out->set_end_offset(in.end_offset);
  out->set_kept_bytes(in.kept_bytes);
}

TrialLog TrialLogFromProto(const v1::GetTrialLogsResponse& in, int64_t from_offset) {
  TrialLog log;
  log.trial_id = in.trial_id();
  log.source_trial_id = in.source_trial_id();
  log.attempt = in.attempt();
  log.attempt_state = in.attempt_state();
  log.finished = in.finished();
  log.text = in.text();
  log.from_offset = from_offset;
  log.next_offset = in.next_offset();
  log.dropped_bytes = in.dropped_bytes();
  log.end_offset = in.end_offset();
  log.kept_bytes = in.kept_bytes();
  return log;
}

MetricBatch ToMetricBatch(const v1::ReportMetricsRequest& request) {
  MetricBatch batch;
  SplitRows(request.rows(), request.payloads(), batch.metrics, batch.per_class, batch.payloads);
  if (request.has_runtime()) batch.runtime = RuntimeFromProto(request.runtime());
  for (const v1::LogChunk& chunk : request.log_chunks()) batch.log_chunks.push_back({chunk.offset(), chunk.text()});
  return batch;
}

AttemptOutcome ToAttemptOutcome(v1::AttemptOutcome outcome) {
  switch (outcome) {
    case v1::SUCCEEDED:
      return AttemptOutcome::kSucceeded;
    case v1::FAILED_PERMANENT:
      return AttemptOutcome::kFailedPermanent;
    case v1::INTERRUPTED:
      return AttemptOutcome::kInterrupted;
    case v1::RETRY_ELSEWHERE:
      return AttemptOutcome::kRetryElsewhere;
    case v1::WORKER_FAULT:
      return AttemptOutcome::kWorkerFault;
    case v1::STOPPED:
      return AttemptOutcome::kStopped;
    default:
      return AttemptOutcome::kFailedRetryable;
  }
}

}  // namespace ltsweep::coordinator
