#include "coordinator/health_server.h"

#include <chrono>

#include <fmt/format.h>
#include <grpcpp/health_check_service_interface.h>

namespace ltsweep::coordinator {

HealthServer::~HealthServer() { Shutdown(); }

StatusOr<int> HealthServer::Start(const std::string& address) {
  grpc::EnableDefaultHealthCheckService(true);  // each server built from now on has one
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) {
    server_.reset();
    return UnavailableError(fmt::format("--health-listen: cannot listen on {}", address));
  }
  return port;
}

void HealthServer::Shutdown() {
  if (!server_) return;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_.reset();
}

}  // namespace ltsweep::coordinator
