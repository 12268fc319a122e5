#include "coordinator/coordinator_metrics.h"

#include <utility>

#include "metrics/metrics.h"
#include "store/group_commit.h"

namespace ltsweep::coordinator {

namespace {

using metrics::FamilySnapshot;
using metrics::MetricType;

FamilySnapshot Single(const char* name, const char* help, MetricType type, double value) {
  return FamilySnapshot{name, help, type, {{"", {}, value}}};
}

FamilySnapshot TrialsByState(const TrialCounts& c) {
  FamilySnapshot f{"ltsweep_trials", "Trials by state, over every sweep in the database", MetricType::kGauge, {}};
  const std::pair<const char*, int> states[] = {{"queued", c.queued},       {"leased", c.leased},
                                                {"running", c.running},     {"succeeded", c.succeeded},
                                                {"failed", c.failed},       {"cancelled", c.cancelled},
                                                {"linked", c.linked},       {"stopped", c.stopped}};
  for (const auto& [state, n] : states) f.samples.push_back({"", {{"state", state}}, static_cast<double>(n)});
  return f;
}

FamilySnapshot WorkersByState(const StoreGauges& g) {
  FamilySnapshot f{"ltsweep_workers",
                   "Workers by state: alive (leasing), quarantined (alive, in a cool-down), lost, stopped",
                   MetricType::kGauge,
                   {}};
  const std::pair<const char*, int> states[] = {{"alive", g.workers_alive},
                                                {"quarantined", g.workers_quarantined},
                                                {"lost", g.workers_lost},
                                                {"stopped", g.workers_stopped}};
  for (const auto& [state, n] : states) f.samples.push_back({"", {{"state", state}}, static_cast<double>(n)});
  return f;
}

FamilySnapshot GroupCommitSizes(const StoreStats& s) {
  FamilySnapshot f{"ltsweep_store_group_commit_size", "Write calls per group-commit transaction",
                   MetricType::kHistogram, {}};
  metrics::HistogramData data;
  uint64_t running = 0;
  for (int i = 0; i + 1 < sqlite::kGroupSizeBuckets; ++i) {
    running += static_cast<uint64_t>(s.group_sizes[i]);
    data.bounds.push_back(static_cast<double>(1 << i));
    data.cumulative.push_back(running);
  }
  data.count = running + static_cast<uint64_t>(s.group_sizes[sqlite::kGroupSizeBuckets - 1]);
  data.sum = static_cast<double>(s.write_operations);
  metrics::AppendHistogram(f, {}, data);
  return f;
}

metrics::Counter& ExpiredLeases(bool requeued) {
  static metrics::Family<metrics::Counter>& family = metrics::DefaultRegistry().AddCounter(
      "ltsweep_leases_expired_total",
      "Leases that expired unrenewed (worker died, froze or was cut off), by whether the trial was requeued",
      {"requeued"});
  static metrics::Counter& yes = family.WithLabels({"true"});
  static metrics::Counter& no = family.WithLabels({"false"});
  return requeued ? yes : no;
}

}  // namespace

StatusOr<std::vector<FamilySnapshot>> StoreFamilies(Store& store) {
  LTSWEEP_ASSIGN_OR_RETURN(const StoreGauges gauges, store.ReadGauges());
  const StoreStats stats = store.stats();
  std::vector<FamilySnapshot> out;
  out.push_back(TrialsByState(gauges.trials));
  out.push_back(Single("ltsweep_leases_held", "Trials leased or running (live leases)", MetricType::kGauge,
                       gauges.trials.leased + gauges.trials.running));
  out.push_back(WorkersByState(gauges));
  out.push_back(Single("ltsweep_store_write_transactions_total", "Write transactions of the store's group commit",
                       MetricType::kCounter, static_cast<double>(stats.write_transactions)));
  out.push_back(Single("ltsweep_store_write_operations_total", "Write calls run in those transactions",
                       MetricType::kCounter, static_cast<double>(stats.write_operations)));
  out.push_back(GroupCommitSizes(stats));
  out.push_back(Single("ltsweep_store_write_busy_seconds_total", "Wall time the store's writer spent in transactions",
                       MetricType::kCounter, static_cast<double>(stats.busy_micros) / 1e6));
  out.push_back(Single("ltsweep_store_queued_writes", "Write calls waiting for or in the writer now",
                       MetricType::kGauge, static_cast<double>(stats.queued_writes)));
  out.push_back(Single("ltsweep_store_wal_checkpoints_total", "Background WAL checkpoints run",
                       MetricType::kCounter, static_cast<double>(stats.checkpoints)));
  return out;
}

StatusOr<std::string> CoordinatorMetricsText(Store& store) {
  std::vector<FamilySnapshot> families = metrics::DefaultRegistry().Collect();
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<FamilySnapshot> from_store, StoreFamilies(store));
  for (FamilySnapshot& f : from_store) families.push_back(std::move(f));
  return metrics::WriteText(families);
}

void AddMetricsRoute(http::HttpServer& server, Store& store) {
  ExpiredLeases(true);  // registered now, so the page shows them at 0
  ExpiredLeases(false);
  server.Get("/metrics", [&store](const http::HttpRequest&) {
    StatusOr<std::string> text = CoordinatorMetricsText(store);
    if (!text.ok()) return http::HttpResponse::Error(503, "metrics: the database cannot be read: " + text.status().message());
    return http::HttpResponse::Text(std::move(text).value(), metrics::kContentType);
  });
}

void CountExpiredLease(bool requeued) { ExpiredLeases(requeued).Increment(); }

}  // namespace ltsweep::coordinator
