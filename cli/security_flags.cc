#include "cli/security_flags.h"

#include <cstdlib>

namespace ltsweep::cli {

void AddClientSecurityOptions(CLI::App* cmd, ClientSecurityFlags* flags) {
  cmd->add_option("--token-file", flags->token_file,
                  "File holding this client's token (default: $LTSWEEP_TOKEN; see docs/security.md)");
  cmd->add_option("--tls-ca", flags->tls_ca,
                  "Speak TLS, trusting the coordinator's certificate if this CA signed it (default: $LTSWEEP_TLS_CA)");
  cmd->add_option("--tls-cert", flags->tls_cert, "Client certificate, for a coordinator that wants mutual TLS");
  cmd->add_option("--tls-key", flags->tls_key, "Private key of --tls-cert");
  cmd->add_option("--tls-server-name", flags->tls_server_name,
                  "Name the coordinator's certificate must carry, when not the host in the address");
}

StatusOr<proto::ChannelSecurityOptions> ResolveClientSecurity(const ClientSecurityFlags& flags) {
  proto::ChannelSecurityOptions o;
  LTSWEEP_ASSIGN_OR_RETURN(o.token, proto::LoadClientToken(flags.token_file));
  o.tls_ca_file = flags.tls_ca;
  if (o.tls_ca_file.empty()) {
    const char* env = std::getenv("LTSWEEP_TLS_CA");
    if (env != nullptr) o.tls_ca_file = env;
  }
  o.tls_cert_file = flags.tls_cert;
  o.tls_key_file = flags.tls_key;
  o.tls_server_name = flags.tls_server_name;
  return o;
}

StatusOr<std::shared_ptr<grpc::Channel>> MakeCoordinatorChannel(const std::string& address,
                                                                const ClientSecurityFlags& flags,
                                                                grpc::ChannelArguments args) {
  LTSWEEP_ASSIGN_OR_RETURN(proto::ChannelSecurityOptions security, ResolveClientSecurity(flags));
  return proto::MakeChannel(address, security, std::move(args));
}

void AddServerSecurityOptions(CLI::App* cmd, ServerSecurityFlags* flags) {
  cmd->add_option("--tls-cert", flags->tls_cert, "Serve TLS with this certificate chain (PEM); needs --tls-key");
  cmd->add_option("--tls-key", flags->tls_key, "Private key of --tls-cert (PEM)");
  cmd->add_option("--tls-client-ca", flags->tls_client_ca,
                  "Mutual TLS: accept only clients with a certificate this CA signed");
  cmd->add_flag("--insecure", flags->insecure,
                "Serve plain text on a non-loopback --listen address (a trusted network only)");
  cmd->add_option("--auth-tokens", flags->auth_tokens,
                  "Require bearer tokens with roles, from this file (see `ltsweep token create`)");
  cmd->add_flag("--reflection", flags->reflection, "Turn on gRPC server reflection (off by default)");
}

}  // namespace ltsweep::cli
