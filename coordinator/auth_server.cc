#include "coordinator/auth_server.h"

#include <map>

#include <fmt/format.h>
#include <grpcpp/security/server_credentials.h>

#include "coordinator/auth_processor.h"
#include "coordinator/auth_tokens.h"
#include "proto/credentials.h"

namespace ltsweep::coordinator {

namespace {

// "3 tokens (admin 1, submit 1, worker 1)"
std::string Describe(const TokenTable& table) {
  std::map<std::string, int> by_role;
  for (const TokenEntry& e : table.entries()) ++by_role[RoleName(e.role)];
  std::string roles;
  for (const auto& [role, n] : by_role) roles += fmt::format("{}{} {}", roles.empty() ? "" : ", ", role, n);
  return fmt::format("{} token{} ({})", table.entries().size(), table.entries().size() == 1 ? "" : "s", roles);
}

}  // namespace

StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCoordinatorCredentials(const std::string& listen,
                                                                               const SecurityOptions& options,
                                                                               const LogFn& log) {
  proto::ServerSecurityOptions server;
  server.tls_cert_file = options.tls_cert_file;
  server.tls_key_file = options.tls_key_file;
  server.tls_client_ca_file = options.tls_client_ca_file;
  server.insecure = options.insecure;
  if (!options.auth_tokens_file.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(TokenTable tokens, LoadTokenFile(options.auth_tokens_file));
    if (tokens.empty()) {
      return InvalidArgumentError("--auth-tokens: " + options.auth_tokens_file +
                                  " holds no token: add one with `ltsweep token create`");
    }
    if (log) log("auth: " + Describe(tokens) + " from " + options.auth_tokens_file);
    server.auth_processor = std::make_shared<TokenAuthProcessor>(std::move(tokens), log);
  }
  return proto::MakeServerCredentials(listen, server);
}

}  // namespace ltsweep::coordinator
