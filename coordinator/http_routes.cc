#include "coordinator/http_routes.h"

#include <fmt/format.h>

#include "coordinator/auth_policy.h"
#include "coordinator/auth_tokens.h"
#include "coordinator/coordinator_metrics.h"
#include "dashboard/dashboard.h"

namespace ltsweep::coordinator {

StatusOr<std::unique_ptr<http::HttpServer>> MakeCoordinatorHttpServer(const CoordinatorOptions& options,
                                                                       Store& store) {
  http::HttpOptions http_options;
  http_options.listen = options.http_listen;
  http_options.tls_cert_file = options.security.tls_cert_file;
  http_options.tls_key_file = options.security.tls_key_file;
  http_options.insecure = options.security.insecure;
  http_options.open_paths = {"/healthz"};
  http_options.log = options.log;
  if (!options.security.auth_tokens_file.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(TokenTable tokens, LoadTokenFile(options.security.auth_tokens_file));
    http_options.authorize = [tokens = std::move(tokens)](std::string_view token) {
      const std::optional<TokenEntry> entry = tokens.Find(token);
      return entry.has_value() && RoleAllows(entry->role, Access::kRead);
    };
  }
  auto server = std::make_unique<http::HttpServer>(std::move(http_options));
  AddCoordinatorRoutes(*server, store, options);
  return server;
}

void AddCoordinatorRoutes(http::HttpServer& server, Store& store, const CoordinatorOptions& options) {
  server.Get("/healthz", [](const http::HttpRequest&) { return http::HttpResponse::Text("ok\n"); });
  AddMetricsRoute(server, store);
  dashboard::AddDashboardRoutes(server, store);
}

}  // namespace ltsweep::coordinator
