// TokenAuthProcessor: the one place where every RPC to the coordinator is
// authenticated and authorised.
//
// gRPC runs it before each call reaches a service, on server credentials
// that are secure (TLS, or local credentials on loopback:
// proto/credentials.h sets it there). It reads the method from ":path" and
// the token from "authorization: Bearer <token>", and answers:
//   - the method is open (health checking): OK, token or not;
//   - no authorization header: UNAUTHENTICATED "authentication required ...";
//   - a malformed header or an unknown token: UNAUTHENTICATED "invalid
//     token" (one message for both: nothing to tell a guesser);
//   - a known token whose role lacks the access (coordinator/auth_policy.h):
//     PERMISSION_DENIED naming the token's name, role and the method;
//   - otherwise OK, and the authorization header is consumed, so services
//     never see the token.
// Refusals are logged with the method and, for known tokens, the token's
// name; a token is never logged.
//
// Ownership: owns its TokenTable. Thread-safety: thread-safe (the table is
// constant; gRPC calls Process from many threads).
#pragma once

#include <string>

#include <grpcpp/security/auth_metadata_processor.h>

#include "common/log.h"
#include "coordinator/auth_tokens.h"

namespace ltsweep::coordinator {

class TokenAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  // `log` receives one line per refused call; empty: no log.
  TokenAuthProcessor(TokenTable tokens, LogFn log);

  // Process() only hashes and compares: it runs on gRPC's own thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata, OutputMetadata* response_metadata) override;

  // The decision alone, without gRPC's maps: `method` is the ":path",
  // `authorization` the header's value or nullptr when absent.
  grpc::Status Check(const std::string& method, const std::string* authorization) const;

 private:
  void Log(const std::string& line) const;

  const TokenTable tokens_;
  const LogFn log_;
};

}  // namespace ltsweep::coordinator
