#include "coordinator/auth_processor.h"

#include <fmt/format.h>

#include "coordinator/auth_policy.h"
#include "metrics/metrics.h"

namespace ltsweep::coordinator {

namespace {

constexpr std::string_view kBearer = "Bearer ";

const char kAuthRequired[] =
    "authentication required: this coordinator needs a token (pass --token-file FILE or set LTSWEEP_TOKEN)";
const char kInvalidToken[] = "invalid token";

std::string ToString(grpc::string_ref s) { return std::string(s.data(), s.size()); }

// ltsweep_rpc_auth_refused_total{code} (docs/metrics.md).
void CountAuthRefusal(grpc::StatusCode code) {
  static metrics::Family<metrics::Counter>& family = metrics::DefaultRegistry().AddCounter(
      "ltsweep_rpc_auth_refused_total", "gRPC calls refused by the token check, before any service code ran",
      {"code"});
  static metrics::Counter& unauthenticated = family.WithLabels({"UNAUTHENTICATED"});
  static metrics::Counter& denied = family.WithLabels({"PERMISSION_DENIED"});
  (code == grpc::StatusCode::PERMISSION_DENIED ? denied : unauthenticated).Increment();
}

}  // namespace

TokenAuthProcessor::TokenAuthProcessor(TokenTable tokens, LogFn log)
    : tokens_(std::move(tokens)), log_(std::move(log)) {}

grpc::Status TokenAuthProcessor::Process(const InputMetadata& auth_metadata, grpc::AuthContext* /*context*/,
                                         OutputMetadata* consumed_auth_metadata,
                                         OutputMetadata* /*response_metadata*/) {
  std::string method;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) method = ToString(it->second);
  std::string authorization;
  const std::string* header = nullptr;
  if (auto it = auth_metadata.find("authorization"); it != auth_metadata.end()) {
    authorization = ToString(it->second);
    header = &authorization;
  }
  grpc::Status status = Check(method, header);
  if (!status.ok()) CountAuthRefusal(status.error_code());  // never reaches the RPC interceptor
  if (status.ok() && header != nullptr) consumed_auth_metadata->emplace("authorization", authorization);
  return status;
}

grpc::Status TokenAuthProcessor::Check(const std::string& method, const std::string* authorization) const {
  const Access access = RequiredAccess(method);
  if (access == Access::kOpen) return grpc::Status::OK;
  if (authorization == nullptr) {
    Log(fmt::format("auth: refused {}: no token", method));
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, kAuthRequired);
  }
  std::optional<TokenEntry> entry;
  if (authorization->compare(0, kBearer.size(), kBearer) == 0) {
    entry = tokens_.Find(std::string_view(*authorization).substr(kBearer.size()));
  }
  if (!entry) {
    Log(fmt::format("auth: refused {}: invalid token", method));
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, kInvalidToken);
  }
  if (!RoleAllows(entry->role, access)) {
    const std::string message = fmt::format("token \"{}\" (role {}) may not call {}: it needs {} access",
                                            entry->name, RoleName(entry->role), method, AccessName(access));
    Log(fmt::format("auth: refused {}: token \"{}\" has role {}", method, entry->name, RoleName(entry->role)));
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, message);
  }
  return grpc::Status::OK;
}

void TokenAuthProcessor::Log(const std::string& line) const {
  if (log_) log_(line);
}

}  // namespace ltsweep::coordinator
