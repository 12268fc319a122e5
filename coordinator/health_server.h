// HealthServer: a second, plain-text gRPC listener that serves only
// grpc.health.v1.Health, for probes that cannot speak TLS (the kubelet's
// `grpc:` probe; deploy/kubernetes/ltsweep.yaml). `ltsweep coordinator
// --health-listen ADDR` (CoordinatorOptions::health_listen) turns it on.
//
// It answers SERVING while the coordinator serves and NOT_SERVING once it
// shuts down; no other service is registered on it, so it reveals nothing and
// accepts nothing else (every other method is UNIMPLEMENTED there), and it
// needs neither TLS nor a token -- like the health service of the main port,
// which stays open too (docs/security.md).
//
// Ownership: owns its grpc::Server. Thread-safety: Start() and Shutdown()
// from one thread (CoordinatorServer's).
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "common/status.h"

namespace ltsweep::coordinator {

class HealthServer {
 public:
  HealthServer() = default;
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Listens on `address` ("host:port"; port 0: any free port) and returns
  // the bound port. UNAVAILABLE naming --health-listen when it cannot.
  StatusOr<int> Start(const std::string& address);
  // Reports NOT_SERVING, then stops. Idempotent.
  void Shutdown();

 private:
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace ltsweep::coordinator
