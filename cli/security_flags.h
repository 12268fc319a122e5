// The security flags of `ltsweep` (docs/security.md): the ones every command
// that calls a coordinator takes (client commands and `ltsweep worker`), and
// the ones `ltsweep coordinator` takes, with their environment fallbacks.
//
//   client:      --token-file FILE ($LTSWEEP_TOKEN), --tls-ca FILE
//                ($LTSWEEP_TLS_CA), --tls-cert FILE --tls-key FILE (mutual
//                TLS), --tls-server-name NAME
//   coordinator: --tls-cert FILE --tls-key FILE [--tls-client-ca FILE],
//                --insecure, --auth-tokens FILE, --reflection
//
// Ownership: the flag structs are plain values the callers own (CLI11 writes
// into them). Thread-safety: registration on the main thread before parsing.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include "common/log.h"
#include "common/status.h"
#include "proto/credentials.h"

namespace ltsweep::cli {

struct ClientSecurityFlags {
  std::string token_file;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
};

// Adds the client flags to `cmd`, writing into `flags` (which must outlive
// the parse).
void AddClientSecurityOptions(CLI::App* cmd, ClientSecurityFlags* flags);

// Reads the token (--token-file, else $LTSWEEP_TOKEN) and the TLS files
// named by the flags (--tls-ca, else $LTSWEEP_TLS_CA).
StatusOr<proto::ChannelSecurityOptions> ResolveClientSecurity(const ClientSecurityFlags& flags);

// A channel to the coordinator at `address`, secured as the flags say.
StatusOr<std::shared_ptr<grpc::Channel>> MakeCoordinatorChannel(const std::string& address,
                                                                const ClientSecurityFlags& flags,
                                                                grpc::ChannelArguments args = grpc::ChannelArguments());

struct ServerSecurityFlags {
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  std::string auth_tokens;
  bool insecure = false;
  bool reflection = false;
};

// Adds the coordinator's flags to `cmd`, writing into `flags`.
void AddServerSecurityOptions(CLI::App* cmd, ServerSecurityFlags* flags);

}  // namespace ltsweep::cli
