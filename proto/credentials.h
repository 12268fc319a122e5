// Transport security for the coordinator's gRPC server and for its clients
// (the CLI's client commands and the worker daemon): TLS or not, mutual TLS,
// bearer tokens, and the loopback rule.
//
// Server (MakeServerCredentials):
//   - tls_cert_file + tls_key_file: TLS only; with tls_client_ca_file,
//     clients must also present a certificate signed by that CA.
//   - no TLS: only on a loopback address (127.0.0.0/8, ::1, localhost),
//     unless `insecure` is set.
//   - auth_processor set (tokens): it checks every call. gRPC runs such a
//     processor only on secure credentials, so without TLS the server uses
//     local credentials (loopback only: tokens never cross a network in clear
//     text). Plain-text clients still connect to it on loopback, then fail
//     the token check.
//   - neither: insecure credentials, exactly as before tokens existed.
// Client (MakeChannel):
//   - tls_ca_file: TLS, trusting that CA (plus tls_cert_file/tls_key_file
//     for mutual TLS); the token, if any, is sent only over a channel with
//     privacy and integrity.
//   - a token without TLS: only to a loopback address (local credentials).
//   - neither: plain text, as before.
//
// Errors are INVALID_ARGUMENT naming the flag at fault (--tls-cert,
// --tls-key, --tls-client-ca, --tls-ca, --insecure, --listen,
// --token-file), or NOT_FOUND / PERMISSION_DENIED for unreadable files.
//
// Thread-safety: pure functions (they read files).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_metadata_processor.h>

#include "common/status.h"

namespace ltsweep::proto {

struct ServerSecurityOptions {
  // PEM certificate chain and private key of the server; both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle: when set, clients must present a certificate it signed
  // (mutual TLS). Needs the two above.
  std::string tls_client_ca_file;
  // Serve plain text on a non-loopback address (a trusted network only).
  bool insecure = false;
  // Checks every call's token (coordinator/auth_processor.h); nullptr: no
  // tokens, every call is let through.
  std::shared_ptr<grpc::AuthMetadataProcessor> auth_processor;
};

// Credentials for ServerBuilder::AddListeningPort(listen, ...).
StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const std::string& listen,
                                                                         const ServerSecurityOptions& options);

struct ChannelSecurityOptions {
  // PEM CA bundle to trust the coordinator's certificate with; set: TLS.
  std::string tls_ca_file;
  // Client certificate and key for mutual TLS; both or neither; need TLS.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Name the server certificate must carry, when it is not the host of the
  // address (e.g. connecting by IP to a certificate for a DNS name).
  std::string tls_server_name;
  // Bearer token sent with every call; empty: none.
  std::string token;

  bool tls() const { return !tls_ca_file.empty(); }
};

// A channel to `address` (host:port) secured as `options` says; `args` are
// passed on (message sizes, keepalive).
StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& address,
                                                     const ChannelSecurityOptions& options,
                                                     grpc::ChannelArguments args = grpc::ChannelArguments());

// The token a client or worker sends: the first non-empty line of
// `token_file` (which must be private: common/secrets.h ReadPrivateFile)
// when given, else $LTSWEEP_TOKEN, else "" (no token). Surrounding
// whitespace is dropped; a token must be printable ASCII without spaces.
StatusOr<std::string> LoadClientToken(const std::string& token_file);

// Whether `address` ("host:port", "[v6]:port", optionally "dns:///",
// "ipv4:" or "ipv6:" prefixed) names this machine over loopback: localhost,
// 127.0.0.0/8, ::1.
bool IsLoopbackAddress(std::string_view address);

// A sentence to add to a failed call's message when the failure is most
// likely a TLS mismatch (a plain-text client talking to a TLS coordinator, a
// TLS client talking to a plain-text one, an untrusted certificate); "" when
// nothing useful can be said. `tls`: whether the client used TLS.
std::string TransportErrorHint(const grpc::Status& status, bool tls);

}  // namespace ltsweep::proto
