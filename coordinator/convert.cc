#include "coordinator/convert.h"

namespace ltsweep::coordinator {

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(status.code())), status.message());
}

void FillSweepInfo(const SweepInfo& in, v1::SweepInfo* out) {
  const SweepRecord& s = in.sweep;
  out->set_sweep_id(s.id);
  out->set_name(s.name);
  out->set_state(SweepStatusName(s.status));
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
  out->set_created_ms(s.created_ms);
}

void FillTrialInfo(const TrialRecord& t, v1::TrialInfo* out) {
  out->set_trial_id(t.id);
  out->set_sweep_id(t.sweep_id);
  out->set_state(TrialStatusName(t.status));
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

MetricBatch ToMetricBatch(const v1::ReportMetricsRequest& request) {
  MetricBatch batch;
  for (const v1::MetricRow& r : request.rows()) {
    if (r.class_index() < 0) {
      batch.metrics.push_back(MetricRow{r.epoch(), r.name(), r.value()});
    } else {
      batch.per_class.push_back(PerClassRow{r.epoch(), r.name(), r.class_index(), r.value()});
    }
  }
  for (const v1::Payload& p : request.payloads()) batch.payloads.push_back(PayloadRow{p.epoch(), p.name(), p.json()});
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
    default:
      return AttemptOutcome::kFailedRetryable;
  }
}

}  // namespace ltsweep::coordinator
