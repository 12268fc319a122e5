#include "proto/credentials.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "common/secrets.h"

namespace ltsweep::proto {

namespace {

StatusOr<std::string> ReadPem(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string why = std::strerror(errno);
    if (errno == ENOENT) return NotFoundError(flag + ": " + path + ": no such file");
    return PermissionDeniedError(flag + ": " + path + ": cannot be read: " + why);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return InvalidArgumentError(flag + ": " + path + ": not a PEM file");
  }
  return text.str();
}

Status CheckPair(const std::string& cert, const std::string& key, const std::string& cert_flag,
                 const std::string& key_flag) {
  if (cert.empty() != key.empty()) {
    return InvalidArgumentError(cert_flag + " and " + key_flag + " go together: give both or neither");
  }
  return Status::Ok();
}

StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeTlsServerCredentials(const ServerSecurityOptions& o) {
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  LTSWEEP_ASSIGN_OR_RETURN(pair.private_key, ReadPem(o.tls_key_file, "--tls-key"));
  LTSWEEP_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(o.tls_cert_file, "--tls-cert"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!o.tls_client_ca_file.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(o.tls_client_ca_file, "--tls-client-ca"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Host part of "host:port", "[v6]:port", with scheme prefixes dropped.
std::string_view HostOf(std::string_view address) {
  for (std::string_view prefix : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (address.substr(0, prefix.size()) == prefix) {
      address.remove_prefix(prefix.size());
      break;
    }
  }
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    return close == std::string_view::npos ? std::string_view() : address.substr(1, close - 1);
  }
  const size_t colon = address.rfind(':');
  if (colon != std::string_view::npos && address.find(':') == colon) return address.substr(0, colon);
  return address;  // no port, or a bare IPv6 address
}

}  // namespace

StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const std::string& listen,
                                                                         const ServerSecurityOptions& o) {
  LTSWEEP_RETURN_IF_ERROR(CheckPair(o.tls_cert_file, o.tls_key_file, "--tls-cert", "--tls-key"));
  const bool tls = !o.tls_cert_file.empty();
  if (!o.tls_client_ca_file.empty() && !tls) {
    return InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS)");
  }
  if (tls && o.insecure) return InvalidArgumentError("--insecure and --tls-cert contradict each other: pick one");
  const bool loopback = IsLoopbackAddress(listen);
  if (!tls && !loopback && !o.insecure) {
    return InvalidArgumentError(
        "--listen " + listen +
        " is not a loopback address: serve TLS (--tls-cert FILE --tls-key FILE) or, on a trusted network only, "
        "pass --insecure");
  }
  if (!tls && !loopback && o.auth_processor) {
    return InvalidArgumentError("--auth-tokens on a non-loopback address needs TLS (--tls-cert FILE --tls-key FILE): "
                                "tokens would cross the network in clear text");
  }
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (tls) {
    LTSWEEP_ASSIGN_OR_RETURN(creds, MakeTlsServerCredentials(o));
  } else if (o.auth_processor) {
    // gRPC runs an AuthMetadataProcessor only on secure credentials; local
    // credentials are secure ones that accept loopback peers only.
    creds = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  } else {
    return grpc::InsecureServerCredentials();
  }
  if (o.auth_processor) creds->SetAuthMetadataProcessor(o.auth_processor);
  return creds;
}

namespace {

class TokenPlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit TokenPlugin(std::string token) : header_("Bearer " + std::move(token)) {}
  bool IsBlocking() const override { return false; }
  const char* GetType() const override { return "ltsweep-bearer-token"; }
  grpc::Status GetMetadata(grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
                           std::multimap<std::string, std::string>* metadata) override {
    metadata->emplace("authorization", header_);
    return grpc::Status::OK;
  }
  std::string DebugString() override { return "ltsweep bearer token (not shown)"; }

 private:
  const std::string header_;
};

std::shared_ptr<grpc::CallCredentials> TokenCredentials(const std::string& token, grpc_security_level min_level) {
  return grpc::experimental::MetadataCredentialsFromPlugin(std::make_unique<TokenPlugin>(token), min_level);
}

StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeTlsChannelCredentials(const ChannelSecurityOptions& o) {
  grpc::SslCredentialsOptions ssl;
  LTSWEEP_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(o.tls_ca_file, "--tls-ca"));
  if (!o.tls_cert_file.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem(o.tls_key_file, "--tls-key"));
    LTSWEEP_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem(o.tls_cert_file, "--tls-cert"));
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(ssl);
  if (o.token.empty()) return creds;
  return grpc::CompositeChannelCredentials(creds, TokenCredentials(o.token, GRPC_PRIVACY_AND_INTEGRITY));
}

}  // namespace

StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& address, const ChannelSecurityOptions& o,
                                                     grpc::ChannelArguments args) {
  LTSWEEP_RETURN_IF_ERROR(CheckPair(o.tls_cert_file, o.tls_key_file, "--tls-cert", "--tls-key"));
  if (!o.tls() && (!o.tls_cert_file.empty() || !o.tls_server_name.empty())) {
    return InvalidArgumentError("--tls-cert, --tls-key and --tls-server-name need --tls-ca (the CA to trust)");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (o.tls()) {
    LTSWEEP_ASSIGN_OR_RETURN(creds, MakeTlsChannelCredentials(o));
    if (!o.tls_server_name.empty()) args.SetSslTargetNameOverride(o.tls_server_name);
  } else if (!o.token.empty()) {
    if (!IsLoopbackAddress(address)) {
      return InvalidArgumentError("a token is sent to " + address +
                                  " only over TLS: pass --tls-ca FILE (the CA that signed the coordinator's "
                                  "certificate)");
    }
    // Local credentials: no handshake on the wire, loopback peers only.
    creds = grpc::CompositeChannelCredentials(grpc::experimental::LocalCredentials(LOCAL_TCP),
                                              TokenCredentials(o.token, GRPC_SECURITY_NONE));
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(address, creds, args);
}

StatusOr<std::string> LoadClientToken(const std::string& token_file) {
  std::string text;
  std::string source = "$LTSWEEP_TOKEN";
  if (!token_file.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(text, ReadPrivateFile(token_file, "--token-file"));
    source = "--token-file " + token_file;
  } else if (const char* env = std::getenv("LTSWEEP_TOKEN"); env != nullptr) {
    text = env;
  }
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    if (token_file.empty()) return std::string();
    return InvalidArgumentError(source + ": the file is empty");
  }
  size_t end = text.find_first_of("\r\n", begin);
  std::string token = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  token.erase(token.find_last_not_of(" \t") + 1);
  for (unsigned char c : token) {
    if (c < 0x21 || c > 0x7e) return InvalidArgumentError(source + ": a token is printable ASCII without spaces");
  }
  return token;
}

bool IsLoopbackAddress(std::string_view address) {
  const std::string host(HostOf(address));
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string TransportErrorHint(const grpc::Status& status, bool tls) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return "";
  const std::string& m = status.error_message();
  auto has = [&m](const char* s) { return m.find(s) != std::string::npos; };
  if (!tls && (has("Socket closed") || has("Connection reset"))) {
    return "TLS handshake failed: is the coordinator using TLS? pass --tls-ca FILE";
  }
  if (tls && has("wrong version number")) {
    return "TLS handshake failed: the coordinator answered in plain text: is it using TLS? (drop --tls-ca if not)";
  }
  if (tls && (has("andshake") || has("SSL") || has("Socket closed") || has("Connection reset"))) {
    return "TLS handshake failed: check that --tls-ca names the CA that signed the coordinator's certificate for "
           "this host name, and, if the coordinator asks for client certificates, pass --tls-cert and --tls-key";
  }
  return "";
}

}  // namespace ltsweep::proto
