// metrics: counters, gauges and histograms that the daemons expose to
// Prometheus on /metrics (docs/metrics.md lists every metric ltsweep has).
//
//   metrics::Registry& r = metrics::DefaultRegistry();
//   static metrics::Family<metrics::Counter>& started =
//       r.AddCounter("ltsweep_worker_attempts_started_total", "Trainer processes started");
//   started.WithLabels({}).Increment();
//
//   auto& rpc = r.AddHistogram("ltsweep_rpc_duration_seconds", "Time to answer an RPC",
//                              {"method", "code"}, metrics::LatencyBuckets());
//   metrics::Histogram& lease_ok = rpc.WithLabels({"Lease", "OK"});  // keep it: no lookup per call
//   lease_ok.Observe(0.0021);
//
//   // A value read when scraped (a queue's depth): registered for as long as
//   // the handle lives.
//   metrics::CallbackHandle h = r.AddCallback("ltsweep_worker_outbox_bytes", "Unsent metric batches, bytes",
//       metrics::MetricType::kGauge, {}, [&outbox](metrics::SampleSink& sink) { sink.Add({}, outbox.bytes()); });
//
//   std::string body = r.Exposition();  // Prometheus text format 0.0.4
//
// Names follow Prometheus' conventions: the `ltsweep_` prefix, base units
// (`_seconds`, `_bytes`), `_total` on counters. Adding a family whose name
// is already registered returns the existing one when type, labels (and
// buckets) match, so code that registers on first use may run more than
// once; a mismatch, or an invalid metric or label name, throws
// std::invalid_argument (a programming error, found by any test that runs
// the code).
//
// Cost: Counter::Increment, Gauge::Set/Add and Histogram::Observe are a few
// relaxed atomic operations, no lock. Family::WithLabels takes the family's
// own mutex (a map lookup): on hot paths look children up once and keep the
// reference (children live as long as the registry). Collect() and
// Exposition() take the registry's mutex and run the callbacks under it.
//
// Ownership: a Registry owns its families and their children; references
// returned stay valid for its lifetime. DefaultRegistry() lives for the
// whole process (never destroyed). A callback is borrowed until its
// CallbackHandle is destroyed or Reset(). Thread-safety: everything is
// thread-safe; callbacks must not call back into the registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/exposition.h"

namespace ltsweep::metrics {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

// A monotonically increasing count (events, rows, bytes).
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value);
  void Add(double delta);
  double Value() const;

 private:
  std::atomic<uint64_t> bits_{0};  // the double's bits (0 is 0.0)
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is
// implicit), with their sum.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // A consistent-enough snapshot: count is the sum of the buckets read.
  HistogramData Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<uint64_t> sum_bits_{0};
};

// Latency buckets in seconds: 0.5 ms .. 10 s.
std::vector<double> LatencyBuckets();

// One metric with a fixed set of label names; a child per set of values.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::function<std::unique_ptr<T>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The child with these label values (as many as label names; else
  // std::invalid_argument), made on first use.
  T& WithLabels(const LabelValues& values);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  FamilySnapshot Snapshot() const;

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> children_;  // GUARDED_BY(mu_)
};

// Where a callback writes the samples it computes at scrape time.
class SampleSink {
 public:
  explicit SampleSink(FamilySnapshot& family, const std::vector<std::string>& label_names)
      : family_(family), label_names_(label_names) {}
  // One sample; `values` as many as the callback's label names.
  void Add(const LabelValues& values, double value);

 private:
  FamilySnapshot& family_;
  const std::vector<std::string>& label_names_;
};

using SampleCallback = std::function<void(SampleSink&)>;

class Registry;

// Keeps a callback registered; unregisters it when destroyed or Reset().
class CallbackHandle {
 public:
  CallbackHandle() = default;
  CallbackHandle(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}
  ~CallbackHandle() { Reset(); }
  CallbackHandle(CallbackHandle&& other) noexcept;
  CallbackHandle& operator=(CallbackHandle&& other) noexcept;
  CallbackHandle(const CallbackHandle&) = delete;
  CallbackHandle& operator=(const CallbackHandle&) = delete;
  void Reset();

 private:
  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names, std::vector<double> bounds);

  // A counter or gauge family whose samples `callback` computes at each
  // scrape. Several callbacks may share a name (same type and labels):
  // their samples are written together.
  [[nodiscard]] CallbackHandle AddCallback(const std::string& name, const std::string& help, MetricType type,
                                           std::vector<std::string> label_names, SampleCallback callback);

  // Every family as it is now, in registration order.
  std::vector<FamilySnapshot> Collect() const;
  // WriteText(Collect()).
  std::string Exposition() const;

 private:
  friend class CallbackHandle;
  struct Entry;
  struct Callback;
  Entry& FindOrAdd(const std::string& name, const std::string& help, MetricType type,
                   const std::vector<std::string>& label_names, const std::vector<double>* bounds);
  void RemoveCallback(uint64_t id);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;        // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<Callback>> callbacks_;   // GUARDED_BY(mu_)
  uint64_t next_callback_id_ = 1;                      // GUARDED_BY(mu_)
};

// The process-wide registry that the daemons' /metrics pages serve.
Registry& DefaultRegistry();

}  // namespace ltsweep::metrics
