// CoordinatorServer: the coordinator daemon as a C++ object, for
// `ltsweep coordinator` and for an in-process local mode.
//
//   CoordinatorOptions options;
//   options.db_path = "sweeps.db";
//   options.listen = "127.0.0.1:0";
//   CoordinatorServer server(options);
//   LTSWEEP_ASSIGN_OR_RETURN(int port, server.Start());
//   ...
//   server.Shutdown();
//
// It locks the database (coordinator/db_lock.h: one coordinator per file),
// opens the store after a quick integrity check (a corrupt or foreign file
// is refused, untouched), gives every live lease a fresh deadline (the
// coordinator's downtime never expires a lease), serves
// proto/client_service and proto/worker_service with the gRPC health
// checking service (always open) and server reflection when
// options.security.reflection, secured as options.security says (TLS,
// tokens: coordinator/auth_server.h; every call is checked in
// coordinator/auth_processor.h), limits message sizes to max_message_bytes,
// and runs the Scheduler loop.
//
// Ownership: owns the store, the gRPC server and the scheduler thread; the
// Clock in the options is borrowed. Thread-safety: Start() and Shutdown()
// from one thread; Wait() may block another.
#pragma once

#include <memory>

#include "common/status.h"
#include "coordinator/options.h"
#include "store/store.h"

namespace ltsweep::coordinator {

// The store settings a coordinator runs with: its clock, quarantine
// settings, and a quick integrity check on open.
StoreOptions StoreOptionsFor(const CoordinatorOptions& options);

class CoordinatorServer {
 public:
  explicit CoordinatorServer(CoordinatorOptions options);
  ~CoordinatorServer();
  CoordinatorServer(const CoordinatorServer&) = delete;
  CoordinatorServer& operator=(const CoordinatorServer&) = delete;

  // Locks and opens the database and starts serving; returns the bound
  // port. FAILED_PRECONDITION when another coordinator holds the database
  // (naming its pid and host) or the file is not an ltsweep database;
  // DATA_LOSS when it is corrupt.
  StatusOr<int> Start();
  // Stops accepting calls, ends open streams, stops the scheduler. Idempotent.
  void Shutdown();
  // Blocks until Shutdown() (from another thread).
  void Wait();

  // The port of options.health_listen once started (0: none).
  int health_port() const;
  // The port of options.http_listen once started (0: none).
  int http_port() const;
  // The open store (nullptr before Start()).
  Store* store();
  const CoordinatorOptions& options() const;

 private:
  // Builds and starts the gRPC server; returns the bound port.
  StatusOr<int> StartServer();

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ltsweep::coordinator
