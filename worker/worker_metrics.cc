#include "worker/worker_metrics.h"

#include "worker/lease_table.h"
#include "worker/outbox.h"

namespace ltsweep::worker {

namespace {

constexpr contract::ExitClass kClasses[] = {contract::ExitClass::kSucceeded, contract::ExitClass::kPermanent,
                                            contract::ExitClass::kRetryElsewhere, contract::ExitClass::kRetry,
                                            contract::ExitClass::kInterrupted};

metrics::Family<metrics::Counter>& ExitFamily() {
  static metrics::Family<metrics::Counter>& family = metrics::DefaultRegistry().AddCounter(
      "ltsweep_worker_trainer_exits_total",
      "Trainer processes that ended, by what the exit means (common/trainer_contract.h ClassifyExit)", {"class"});
  return family;
}

}  // namespace

const char* ExitClassName(contract::ExitClass cls) {
  switch (cls) {
    case contract::ExitClass::kSucceeded:
      return "succeeded";
    case contract::ExitClass::kPermanent:
      return "permanent";
    case contract::ExitClass::kRetryElsewhere:
      return "retry_elsewhere";
    case contract::ExitClass::kRetry:
      return "retry";
    case contract::ExitClass::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

metrics::Counter& WorkerMetrics::Exits(contract::ExitClass cls) {
  static metrics::Counter* by_class[std::size(kClasses)] = {};
  static const bool made = [] {
    for (size_t i = 0; i < std::size(kClasses); ++i) by_class[i] = &ExitFamily().WithLabels({ExitClassName(kClasses[i])});
    return true;
  }();
  (void)made;
  return *by_class[static_cast<size_t>(cls)];
}

WorkerMetrics& Metrics() {
  static WorkerMetrics* m = [] {
    metrics::Registry& r = metrics::DefaultRegistry();
    auto* made = new WorkerMetrics{
        r.AddCounter("ltsweep_worker_attempts_started_total", "Trainer processes the worker started").WithLabels({}),
        r.AddCounter("ltsweep_worker_faults_total",
                     "Attempts the worker failed around the trainer (attempt folder, config file, spawn)")
            .WithLabels({}),
        r.AddCounter("ltsweep_worker_heartbeat_failures_total",
                     "Heartbeats that got no answer from the coordinator (unreachable, timed out, refused)")
            .WithLabels({})};
    made->Exits(contract::ExitClass::kSucceeded);  // every class shown from the start, at 0
    return made;
  }();
  return *m;
}

WorkerGauges::WorkerGauges(const LeaseTable& leases, int slots, Outbox& outbox) {
  Metrics();
  metrics::Registry& r = metrics::DefaultRegistry();
  slots_ = r.AddCallback("ltsweep_worker_slots", "Worker slots: busy (running an attempt) or idle",
                         metrics::MetricType::kGauge, {"state"}, [&leases, slots](metrics::SampleSink& sink) {
                           const int busy = static_cast<int>(leases.Snapshot().size());
                           sink.Add({"busy"}, busy);
                           sink.Add({"idle"}, slots - busy);
                         });
  outbox_bytes_ = r.AddCallback("ltsweep_worker_outbox_bytes",
                                "Unsent metric batches kept on disk for the coordinator, bytes",
                                metrics::MetricType::kGauge, {},
                                [&outbox](metrics::SampleSink& sink) { sink.Add({}, static_cast<double>(outbox.bytes())); });
  outbox_batches_ = r.AddCallback("ltsweep_worker_outbox_batches", "Unsent metric batches kept on disk",
                                  metrics::MetricType::kGauge, {}, [&outbox](metrics::SampleSink& sink) {
                                    sink.Add({}, static_cast<double>(outbox.batch_count()));
                                  });
}

}  // namespace ltsweep::worker
