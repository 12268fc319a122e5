#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace ltsweep::metrics {

namespace {

uint64_t BitsOf(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

double DoubleOf(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

void AddToDouble(std::atomic<uint64_t>& bits, double delta) {
  uint64_t old_bits = bits.load(std::memory_order_relaxed);
  while (!bits.compare_exchange_weak(old_bits, BitsOf(DoubleOf(old_bits) + delta), std::memory_order_relaxed)) {
  }
}

Labels Zip(const std::vector<std::string>& names, const LabelValues& values) {
  Labels labels;
  labels.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) labels.emplace_back(names[i], values[i]);
  return labels;
}

void CheckNames(const std::string& name, const std::vector<std::string>& label_names, MetricType type) {
  if (!IsValidMetricName(name)) throw std::invalid_argument("metrics: invalid metric name '" + name + "'");
  for (const std::string& l : label_names) {
    if (!IsValidLabelName(l) || (type == MetricType::kHistogram && l == "le")) {
      throw std::invalid_argument("metrics: " + name + ": invalid label name '" + l + "'");
    }
  }
}

void AppendChild(FamilySnapshot& out, const Labels& labels, const Counter& c) {
  out.samples.push_back({"", labels, static_cast<double>(c.Value())});
}
void AppendChild(FamilySnapshot& out, const Labels& labels, const Gauge& g) {
  out.samples.push_back({"", labels, g.Value()});
}
void AppendChild(FamilySnapshot& out, const Labels& labels, const Histogram& h) {
  AppendHistogram(out, labels, h.Read());
}

}  // namespace

void Gauge::Set(double value) { bits_.store(BitsOf(value), std::memory_order_relaxed); }
void Gauge::Add(double delta) { AddToDouble(bits_, delta); }
double Gauge::Value() const { return DoubleOf(bits_.load(std::memory_order_relaxed)); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i + 1 < bounds_.size(); ++i) {
    if (!(bounds_[i] < bounds_[i + 1])) throw std::invalid_argument("metrics: histogram bounds must ascend");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();  // first bound >= value
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AddToDouble(sum_bits_, value);
}

HistogramData Histogram::Read() const {
  HistogramData data;
  data.bounds = bounds_;
  data.cumulative.resize(bounds_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    data.cumulative[i] = running;
  }
  data.count = running + buckets_[bounds_.size()].load(std::memory_order_relaxed);
  data.sum = DoubleOf(sum_bits_.load(std::memory_order_relaxed));
  return data;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <typename T>
T& Family<T>::WithLabels(const LabelValues& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metrics: " + name_ + ": " + std::to_string(values.size()) + " label values for " +
                                std::to_string(label_names_.size()) + " label names");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<T>& child = children_[values];
  if (!child) child = make_();
  return *child;
}

template <typename T>
FamilySnapshot Family<T>::Snapshot() const {
  FamilySnapshot out{name_, help_, type_, {}};
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, child] : children_) AppendChild(out, Zip(label_names_, values), *child);
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void SampleSink::Add(const LabelValues& values, double value) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metrics: " + family_.name + ": wrong number of label values");
  }
  family_.samples.push_back({"", Zip(label_names_, values), value});
}

struct Registry::Entry {
  std::string name;
  std::string help;
  MetricType type;
  std::vector<std::string> label_names;
  std::vector<double> bounds;
  std::unique_ptr<Family<Counter>> counter;
  std::unique_ptr<Family<Gauge>> gauge;
  std::unique_ptr<Family<Histogram>> histogram;
  bool computed = false;  // callbacks only
};

struct Registry::Callback {
  uint64_t id;
  const Entry* entry;
  SampleCallback fn;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::FindOrAdd(const std::string& name, const std::string& help, MetricType type,
                                     const std::vector<std::string>& label_names,
                                     const std::vector<double>* bounds) {
  CheckNames(name, label_names, type);
  for (auto& e : entries_) {
    if (e->name != name) continue;
    if (e->type != type || e->label_names != label_names || (bounds != nullptr && e->bounds != *bounds)) {
      throw std::invalid_argument("metrics: " + name + " registered twice with different types, labels or buckets");
    }
    return *e;
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = type;
  e->label_names = label_names;
  if (bounds != nullptr) e->bounds = *bounds;
  entries_.push_back(std::move(e));
  return *entries_.back();
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = FindOrAdd(name, help, MetricType::kCounter, label_names, nullptr);
  if (e.computed) throw std::invalid_argument("metrics: " + name + " is computed by a callback");
  if (!e.counter) {
    e.counter = std::make_unique<Family<Counter>>(name, help, MetricType::kCounter, label_names,
                                                  [] { return std::make_unique<Counter>(); });
  }
  return *e.counter;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = FindOrAdd(name, help, MetricType::kGauge, label_names, nullptr);
  if (e.computed) throw std::invalid_argument("metrics: " + name + " is computed by a callback");
  if (!e.gauge) {
    e.gauge = std::make_unique<Family<Gauge>>(name, help, MetricType::kGauge, label_names,
                                              [] { return std::make_unique<Gauge>(); });
  }
  return *e.gauge;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names, std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  Histogram check(bounds);  // throws for bounds that do not ascend
  for (double b : bounds) {
    if (!std::isfinite(b)) throw std::invalid_argument("metrics: " + name + ": bounds must be finite");
  }
  Entry& e = FindOrAdd(name, help, MetricType::kHistogram, label_names, &bounds);
  if (!e.histogram) {
    e.histogram = std::make_unique<Family<Histogram>>(name, help, MetricType::kHistogram, label_names,
                                                      [bounds] { return std::make_unique<Histogram>(bounds); });
  }
  return *e.histogram;
}

CallbackHandle Registry::AddCallback(const std::string& name, const std::string& help, MetricType type,
                                     std::vector<std::string> label_names, SampleCallback callback) {
  if (type == MetricType::kHistogram) throw std::invalid_argument("metrics: " + name + ": callbacks are counters or gauges");
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = FindOrAdd(name, help, type, label_names, nullptr);
  if (e.counter || e.gauge) throw std::invalid_argument("metrics: " + name + " is already a plain family");
  e.computed = true;
  const uint64_t id = next_callback_id_++;
  callbacks_.push_back(std::make_unique<Callback>(Callback{id, &e, std::move(callback)}));
  return CallbackHandle(this, id);
}

void Registry::RemoveCallback(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  callbacks_.erase(std::remove_if(callbacks_.begin(), callbacks_.end(),
                                  [id](const std::unique_ptr<Callback>& c) { return c->id == id; }),
                   callbacks_.end());
}

std::vector<FamilySnapshot> Registry::Collect() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FamilySnapshot> out;
  for (const auto& e : entries_) {
    if (e->counter) out.push_back(e->counter->Snapshot());
    if (e->gauge) out.push_back(e->gauge->Snapshot());
    if (e->histogram) out.push_back(e->histogram->Snapshot());
    if (!e->computed) continue;
    FamilySnapshot family{e->name, e->help, e->type, {}};
    SampleSink sink(family, e->label_names);
    for (const auto& c : callbacks_) {
      if (c->entry == e.get()) c->fn(sink);
    }
    out.push_back(std::move(family));
  }
  return out;
}

std::string Registry::Exposition() const { return WriteText(Collect()); }

CallbackHandle::CallbackHandle(CallbackHandle&& other) noexcept : registry_(other.registry_), id_(other.id_) {
  other.registry_ = nullptr;
}

CallbackHandle& CallbackHandle::operator=(CallbackHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = other.registry_;
    id_ = other.id_;
    other.registry_ = nullptr;
  }
  return *this;
}

void CallbackHandle::Reset() {
  if (registry_ != nullptr) registry_->RemoveCallback(id_);
  registry_ = nullptr;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry();  // never destroyed: usable from any static's destructor
  return *registry;
}

}  // namespace ltsweep::metrics
