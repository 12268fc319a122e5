// The worker's HTTP side (`ltsweep worker --http ADDR`): /metrics (the
// process's metrics::DefaultRegistry(), worker/worker_metrics.h) and
// /healthz, on the same HttpServer as the coordinator's (http/http_server.h).
//
// Security: a loopback address (the default use) is plain HTTP; any other
// address needs TLS (the worker's --tls-cert/--tls-key, the certificate it
// shows the coordinator) or `insecure` (--http-insecure), else the server's
// Start() refuses it naming those flags. No token is asked for: the page
// holds counts only (no trial data); keep it on loopback or a private network.
//
// Ownership: the server returned owns its threads. Thread-safety: as
// HttpServer.
#pragma once

#include <memory>
#include <string>

#include "common/log.h"
#include "common/status.h"
#include "http/http_server.h"

namespace ltsweep::worker {

struct WorkerHttpOptions {
  std::string listen;  // host:port (port 0: any free port)
  std::string tls_cert_file;
  std::string tls_key_file;
  bool insecure = false;
  LogFn log;
};

// The server with its routes, not started; its Start() refuses
// (INVALID_ARGUMENT) a non-loopback address without TLS or insecure, naming
// --http-insecure.
StatusOr<std::unique_ptr<http::HttpServer>> MakeWorkerHttpServer(const WorkerHttpOptions& options);

}  // namespace ltsweep::worker
