#include "coordinator/coordinator_server.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "coordinator/auth_server.h"
#include "coordinator/client_handler.h"
#include "coordinator/db_lock.h"
#include "coordinator/grpc_services.h"
#include "coordinator/health_server.h"
#include "coordinator/http_routes.h"
#include "coordinator/rpc_metrics.h"
#include "coordinator/run_clock.h"
#include "coordinator/scheduler.h"
#include "coordinator/trial_suggester.h"
#include "coordinator/worker_handler.h"
#include "store/store.h"

namespace ltsweep::coordinator {

namespace {

// Server reflection on or off for one ServerBuilder. Linking
// grpc++_reflection registers its plugin for every builder of the process at
// static initialisation, so "off" must take it out again, and "on" adds it
// when it is missing.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    grpc::reflection::ProtoServerReflectionPlugin reflection;
    const std::string name = reflection.name();
    auto is_reflection = [&name](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) { return p->name() == name; };
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(), is_reflection), plugins->end());
    if (enabled_) plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
  }

 private:
  const bool enabled_;
};

}  // namespace

struct CoordinatorServer::Impl {
  CoordinatorOptions options;
  // Declared before the store: released after it closes.
  std::unique_ptr<DbLock> lock;
  std::unique_ptr<RunClock> run_clock;  // options.clock when the server made it
  std::unique_ptr<Store> store;
  std::unique_ptr<WorkerHandler> worker_handler;
  std::unique_ptr<ClientHandler> client_handler;
  std::unique_ptr<WorkerServiceImpl> worker_service;
  std::unique_ptr<ClientServiceImpl> client_service;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HealthServer> health;  // with options.health_listen
  int health_port = 0;
  std::unique_ptr<http::HttpServer> http;  // with options.http_listen
  int http_port = 0;
  std::atomic<bool> stopping{false};
  bool shut_down = false;
};

StoreOptions StoreOptionsFor(const CoordinatorOptions& options) {
  StoreOptions store_options;
  store_options.clock = options.clock;
  store_options.quick_check_on_open = true;
  store_options.quarantine_after = options.quarantine_after;
  store_options.quarantine_cooldown = options.quarantine_cooldown;
  store_options.suggest_trial = MakeBayesSuggester();  // method: bayes
  return store_options;
}

CoordinatorServer::CoordinatorServer(CoordinatorOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

CoordinatorServer::~CoordinatorServer() { Shutdown(); }

Store* CoordinatorServer::store() { return impl_->store.get(); }
const CoordinatorOptions& CoordinatorServer::options() const { return impl_->options; }

StatusOr<int> CoordinatorServer::Start() {
  Impl& m = *impl_;
  if (m.server) return FailedPreconditionError("the coordinator is already started");
  // A lone FakeClock (tests) is used as it is; otherwise "now" is the wall
  // clock at start plus steady time (coordinator/run_clock.h).
  const bool run_clock = m.options.clock == nullptr || m.options.steady_clock != nullptr;
  LTSWEEP_RETURN_IF_ERROR(m.options.Resolve());
  if (run_clock) {
    Clock* steady = m.options.steady_clock ? m.options.steady_clock : SteadyClock::Default();
    m.run_clock = std::make_unique<RunClock>(m.options.clock, steady);
    m.options.clock = m.run_clock.get();
  }
  LTSWEEP_ASSIGN_OR_RETURN(std::unique_ptr<DbLock> lock, DbLock::Acquire(m.options.db_path));
  LTSWEEP_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(m.options.db_path, StoreOptionsFor(m.options)));
  // The coordinator's own downtime never expires a lease: every live lease
  // gets a fresh deadline before the scheduler looks at them.
  // A sweep whose submission was cut short (killed mid-submit) never ran:
  // removed, so no half sweep is leased from; the client's retry makes it anew.
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<int64_t> rolled_back, store->RollBackUnfinishedSubmits());
  for (int64_t sweep_id : rolled_back) {
    m.options.log(fmt::format("sweep {} rolled back: its submission stopped before all its trials were in; "
                              "submit the spec again",
                              sweep_id));
  }
  LTSWEEP_ASSIGN_OR_RETURN(int resumed, store->ResumeLeases(m.options.lease_ttl));
  if (resumed > 0) {
    m.options.log(fmt::format("{} live lease(s) resumed with a fresh deadline ({} ms from now)", resumed,
                              m.options.lease_ttl.count()));
  }
  m.lock = std::move(lock);
  m.store = std::move(store);
  m.worker_handler = std::make_unique<WorkerHandler>(*m.store, m.options);
  m.client_handler = std::make_unique<ClientHandler>(*m.store, m.options);
  m.worker_service = std::make_unique<WorkerServiceImpl>(*m.worker_handler);
  m.client_service = std::make_unique<ClientServiceImpl>(*m.client_handler, m.stopping);

  LTSWEEP_ASSIGN_OR_RETURN(const int port, StartServer());
  m.scheduler = std::make_unique<Scheduler>(*m.store, m.options);
  m.scheduler->Start();
  m.options.log(fmt::format("listening on {} (port {}), database {}, lease ttl {} ms, heartbeat {} ms",
                            m.options.listen, port, m.options.db_path, m.options.lease_ttl.count(),
                            m.options.heartbeat_interval.count()));
  return port;
}

StatusOr<int> CoordinatorServer::StartServer() {
  Impl& m = *impl_;
  LTSWEEP_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                           MakeCoordinatorCredentials(m.options.listen, m.options.security, m.options.log));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<ReflectionOption>(m.options.security.reflection));
  int port = 0;
  builder.AddListeningPort(m.options.listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(m.options.max_message_bytes);
  builder.SetMaxSendMessageSize(m.options.max_message_bytes);
  builder.RegisterService(m.worker_service.get());
  builder.RegisterService(m.client_service.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeRpcMetricsInterceptorFactory());  // ltsweep_rpc_* on /metrics
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  m.server = builder.BuildAndStart();
  if (!m.server || port == 0) {
    m.server.reset();
    return UnavailableError(fmt::format("--listen: cannot listen on {}", m.options.listen));
  }
  if (!m.options.health_listen.empty()) {
    m.health = std::make_unique<HealthServer>();
    LTSWEEP_ASSIGN_OR_RETURN(m.health_port, m.health->Start(m.options.health_listen));
    m.options.log(fmt::format("health checks (grpc.health.v1 only, plain text) on {} (port {})",
                              m.options.health_listen, m.health_port));
  }
  if (!m.options.http_listen.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(m.http, MakeCoordinatorHttpServer(m.options, *m.store));
    LTSWEEP_ASSIGN_OR_RETURN(m.http_port, m.http->Start());
    m.options.log(fmt::format("dashboard and /metrics on {}://{} (port {})", m.http->scheme(), m.options.http_listen,
                              m.http_port));
  }
  return port;
}

void CoordinatorServer::Shutdown() {
  Impl& m = *impl_;
  if (!m.server || m.shut_down) return;
  m.shut_down = true;
  m.stopping = true;
  if (m.health) m.health->Shutdown();
  if (m.http) m.http->Stop();
  m.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (m.scheduler) m.scheduler->Stop();
  m.options.log("stopped");
}

int CoordinatorServer::health_port() const { return impl_->health_port; }
int CoordinatorServer::http_port() const { return impl_->http_port; }

void CoordinatorServer::Wait() {
  if (impl_->server) impl_->server->Wait();
}

}  // namespace ltsweep::coordinator
