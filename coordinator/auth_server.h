// The coordinator's side of transport security and tokens, from its options
// to gRPC server credentials: loads the tokens file, sets up the processor
// that checks every call (coordinator/auth_processor.h) and applies the
// loopback / TLS rules of proto/credentials.h. See docs/security.md.
//
// Thread-safety: a plain value and a function; call from the thread that
// starts the server.
#pragma once

#include <memory>
#include <string>

#include "common/log.h"
#include "common/status.h"

namespace grpc {
class ServerCredentials;
}

namespace ltsweep::coordinator {

// `ltsweep coordinator`'s security flags. All empty/false: plain text, loopback
// only, no tokens (as before tokens existed).
struct SecurityOptions {
  // --tls-cert / --tls-key: serve TLS only (PEM files; both or neither).
  std::string tls_cert_file;
  std::string tls_key_file;
  // --tls-client-ca: mutual TLS, clients need a certificate this CA signed.
  std::string tls_client_ca_file;
  // --insecure: plain text on a non-loopback listen address.
  bool insecure = false;
  // --auth-tokens: bearer tokens with roles (coordinator/auth_tokens.h);
  // empty: no token is asked for.
  std::string auth_tokens_file;
  // --reflection: gRPC server reflection on (off by default).
  bool reflection = false;
};

// Credentials for listening on `listen`. Loads and checks the tokens file
// when one is named, logging how many tokens of each role were loaded (never
// a token) and, through the processor, every refused call. Errors name the
// flag at fault.
StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCoordinatorCredentials(const std::string& listen,
                                                                               const SecurityOptions& options,
                                                                               const LogFn& log);

}  // namespace ltsweep::coordinator
