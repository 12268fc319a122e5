#include "coordinator/rpc_metrics.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "proto/client_service.pb.h"
#include "proto/worker_service.pb.h"

namespace ltsweep::coordinator {

namespace {

using grpc::experimental::InterceptionHookPoints;
using metrics::Counter;
using metrics::Family;
using metrics::Histogram;

// gRPC status codes 0..16 by name, as Prometheus users know them.
constexpr std::array<const char*, 17> kCodeNames = {
    "OK",        "CANCELLED",          "UNKNOWN",          "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED",   "INTERNAL",         "UNAVAILABLE",      "DATA_LOSS",         "UNAUTHENTICATED"};

// What the interceptor reads from a method's messages.
enum class Kind { kOther, kLease, kReportMetrics, kFinishAttempt };

struct Families {
  explicit Families(metrics::Registry& r)
      : rpc(r.AddHistogram("ltsweep_rpc_duration_seconds",
                           "Time from a gRPC call's arrival to its status, by service, method and status code",
                           {"service", "method", "code"}, metrics::LatencyBuckets())),
        lease(r.AddHistogram("ltsweep_lease_duration_seconds",
                             "Time to answer a worker's Lease: granted (a trial), nothing (nothing to run yet) or "
                             "error",
                             {"result"}, metrics::LatencyBuckets())),
        rows_ingested(r.AddCounter("ltsweep_metric_rows_ingested_total",
                                   "Metric rows written to the database from workers' ReportMetrics")
                          .WithLabels({})),
        rows_rejected(r.AddCounter("ltsweep_metric_rows_rejected_total",
                                   "Metric rows of ReportMetrics batches refused as malformed")
                          .WithLabels({})),
        finished(r.AddCounter("ltsweep_attempts_finished_total",
                              "Attempts whose FinishAttempt the coordinator accepted, by reported outcome",
                              {"outcome"})),
        requeued(r.AddCounter("ltsweep_attempts_requeued_total",
                              "Attempts that ended in a retry: their trial went back to the queue, by outcome",
                              {"outcome"})),
        lease_granted(lease.WithLabels({"granted"})),
        lease_nothing(lease.WithLabels({"nothing"})),
        lease_error(lease.WithLabels({"error"})) {}

  Family<Histogram>& rpc;
  Family<Histogram>& lease;
  Counter& rows_ingested;
  Counter& rows_rejected;
  Family<Counter>& finished;
  Family<Counter>& requeued;
  Histogram& lease_granted;
  Histogram& lease_nothing;
  Histogram& lease_error;
};

// One method's histograms, one per status code, made on first use.
struct Method {
  std::string service;
  std::string name;
  Kind kind = Kind::kOther;
  std::array<std::atomic<Histogram*>, kCodeNames.size()> by_code{};

  Histogram& ForCode(Family<Histogram>& family, int code) {
    if (code < 0 || code >= static_cast<int>(kCodeNames.size())) code = 2;  // UNKNOWN
    Histogram* h = by_code[code].load(std::memory_order_acquire);
    if (h == nullptr) {
      h = &family.WithLabels({service, name, kCodeNames[code]});
      by_code[code].store(h, std::memory_order_release);
    }
    return *h;
  }
};

std::string AttemptOutcomeLabel(v1::AttemptOutcome outcome) {
  std::string name = v1::AttemptOutcome_Name(outcome);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name.empty() ? "unknown" : name;
}

class Factory;

class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(Factory& factory, Method& method)
      : factory_(factory), method_(method), start_(std::chrono::steady_clock::now()) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override;

 private:
  void ReadResponse(const void* message);
  void Finish(int code);

  Factory& factory_;
  Method& method_;
  const std::chrono::steady_clock::time_point start_;
  v1::AttemptOutcome outcome_ = v1::OUTCOME_UNSPECIFIED;
  bool granted_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(metrics::Registry& registry) : families_(registry) {
    for (const char* service : {"ltsweep.v1.WorkerService", "ltsweep.v1.ClientService"}) AddService(service);
  }

  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    const std::string_view path = info->method() != nullptr ? info->method() : "";
    auto it = by_path_.find(path);
    Method* method = it != by_path_.end() ? it->second : OtherMethod(path);
    return new RpcMetricsInterceptor(*this, *method);
  }

  Families& families() { return families_; }

 private:
  void AddService(const std::string& full_name) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
    if (service == nullptr) return;
    for (int i = 0; i < service->method_count(); ++i) {
      auto m = std::make_unique<Method>();
      m->service = service->name();
      m->name = service->method(i)->name();
      if (m->service == "WorkerService") {
        if (m->name == "Lease") m->kind = Kind::kLease;
        if (m->name == "ReportMetrics") m->kind = Kind::kReportMetrics;
        if (m->name == "FinishAttempt") m->kind = Kind::kFinishAttempt;
      }
      paths_.push_back("/" + full_name + "/" + m->name);
      methods_.push_back(std::move(m));
    }
    by_path_.clear();  // rebuilt: the views point into paths_, which may have moved
    for (size_t i = 0; i < methods_.size(); ++i) by_path_[paths_[i]] = methods_[i].get();
  }

  // A method outside the table (health checks, reflection): "service/method"
  // split from the path, kept for good.
  Method* OtherMethod(std::string_view path) {
    std::lock_guard<std::mutex> lock(other_mu_);
    std::unique_ptr<Method>& m = other_[std::string(path)];
    if (!m) {
      m = std::make_unique<Method>();
      const std::string p(path);
      const size_t slash = p.rfind('/');
      const std::string service = slash == std::string::npos || slash == 0 ? "" : p.substr(1, slash - 1);
      m->service = service.substr(service.rfind('.') == std::string::npos ? 0 : service.rfind('.') + 1);
      m->name = slash == std::string::npos ? p : p.substr(slash + 1);
    }
    return m.get();
  }

  Families families_;
  std::vector<std::unique_ptr<Method>> methods_;
  std::vector<std::string> paths_;
  std::unordered_map<std::string_view, Method*> by_path_;  // read-only once built
  std::mutex other_mu_;
  std::unordered_map<std::string, std::unique_ptr<Method>> other_;  // GUARDED_BY(other_mu_)
};

void RpcMetricsInterceptor::Intercept(grpc::experimental::InterceptorBatchMethods* methods) {
  if (method_.kind == Kind::kFinishAttempt && methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
    if (const void* request = methods->GetRecvMessage()) {
      outcome_ = static_cast<const v1::FinishAttemptRequest*>(request)->outcome();
    }
  }
  if (method_.kind != Kind::kOther && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
    ReadResponse(methods->GetSendMessage());
  }
  if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
    Finish(static_cast<int>(methods->GetSendStatus().error_code()));
  }
  methods->Proceed();
}

// Only an OK call sends its response: what it says has happened.
void RpcMetricsInterceptor::ReadResponse(const void* message) {
  if (message == nullptr) return;
  Families& f = factory_.families();
  switch (method_.kind) {
    case Kind::kLease:
      granted_ = static_cast<const v1::LeaseResponse*>(message)->granted();
      break;
    case Kind::kReportMetrics: {
      const auto* response = static_cast<const v1::ReportMetricsResponse*>(message);
      f.rows_ingested.Increment(static_cast<uint64_t>(std::max<int64_t>(0, response->rows_written())));
      f.rows_rejected.Increment(static_cast<uint64_t>(std::max<int64_t>(0, response->rows_rejected())));
      break;
    }
    case Kind::kFinishAttempt: {
      const std::string outcome = AttemptOutcomeLabel(outcome_);
      f.finished.WithLabels({outcome}).Increment();
      if (static_cast<const v1::FinishAttemptResponse*>(message)->requeued()) f.requeued.WithLabels({outcome}).Increment();
      break;
    }
    case Kind::kOther:
      break;
  }
}

void RpcMetricsInterceptor::Finish(int code) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  Families& f = factory_.families();
  method_.ForCode(f.rpc, code).Observe(seconds);
  if (method_.kind == Kind::kLease) {
    (code != 0 ? f.lease_error : granted_ ? f.lease_granted : f.lease_nothing).Observe(seconds);
  }
}

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRpcMetricsInterceptorFactory(
    metrics::Registry& registry) {
  return std::make_unique<Factory>(registry);
}

}  // namespace ltsweep::coordinator
