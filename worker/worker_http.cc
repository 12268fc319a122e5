#include "worker/worker_http.h"

#include "metrics/metrics.h"
#include "worker/worker_metrics.h"

namespace ltsweep::worker {

StatusOr<std::unique_ptr<http::HttpServer>> MakeWorkerHttpServer(const WorkerHttpOptions& options) {
  http::HttpOptions http_options;
  http_options.listen = options.listen;
  http_options.tls_cert_file = options.tls_cert_file;
  http_options.tls_key_file = options.tls_key_file;
  http_options.insecure = options.insecure;
  http_options.insecure_flag = "--http-insecure";
  http_options.security_doc = "docs/metrics.md";
  http_options.log = options.log;
  http_options.threads = 2;
  auto server = std::make_unique<http::HttpServer>(std::move(http_options));
  Metrics();  // the counters are on the page (at 0) before the first attempt
  server->Get("/healthz", [](const http::HttpRequest&) { return http::HttpResponse::Text("ok\n"); });
  server->Get("/metrics", [](const http::HttpRequest&) {
    return http::HttpResponse::Text(metrics::DefaultRegistry().Exposition(), metrics::kContentType);
  });
  return server;
}

}  // namespace ltsweep::worker
