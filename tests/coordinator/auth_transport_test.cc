// Server and channel credentials (proto/credentials.h) with the token
// processor (coordinator/auth_processor.h), over real gRPC on loopback: every
// RPC with no token, a wrong token and each role; plain text, TLS and mutual
// TLS with certificates made by the openssl command at run time.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "coordinator/auth_policy.h"
#include "coordinator/auth_processor.h"
#include "proto/credentials.h"
#include "tests/coordinator/auth_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using ::ltsweep::proto::ChannelSecurityOptions;
using ::ltsweep::proto::MakeChannel;
using ::ltsweep::proto::ServerSecurityOptions;
using ::ltsweep::testing::AllRpcs;
using ::ltsweep::testing::TempDir;

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kListSweeps[] = "/ltsweep.v1.ClientService/ListSweeps";
// What the test server's generic service answers once a call got through.
constexpr char kReached[] = "reached the service";

// Answers every method it is asked for with ABORTED kReached: a call that
// gets that answer went through the transport and the token check.
class ReachedService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      Reactor() { Finish(grpc::Status(grpc::StatusCode::ABORTED, kReached)); }
      void OnDone() override { delete this; }
    };
    return new Reactor;
  }
};

// A server on 127.0.0.1:0 secured by MakeServerCredentials, with the health
// service and ReachedService behind it.
class TestServer {
 public:
  explicit TestServer(const ServerSecurityOptions& options, const std::string& listen = "127.0.0.1:0") {
    auto creds = proto::MakeServerCredentials(listen, options);
    EXPECT_OK(creds);
    if (!creds.ok()) return;
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(listen, *creds, &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    EXPECT_TRUE(server_ != nullptr && port_ != 0);
  }
  ~TestServer() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string localhost() const { return "localhost:" + std::to_string(port_); }

 private:
  ReachedService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                  const char* authorization = nullptr) {
  return ::ltsweep::testing::CallMethod(channel, method, authorization);
}

bool Reached(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::ABORTED && s.error_message() == kReached;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address, const ChannelSecurityOptions& options) {
  auto channel = MakeChannel(address, options);
  EXPECT_OK(channel);
  return channel.ok() ? *channel : nullptr;
}

std::shared_ptr<grpc::Channel> PlainChannel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

// --- Which address needs what ------------------------------------------------------

TEST(CredentialsTest, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1:50051", "localhost:50051", "[::1]:50051", "127.3.4.5:1", "dns:///localhost:5",
                        "ipv4:127.0.0.1:5", "::1", "[::ffff:127.0.0.1]:5"}) {
    EXPECT_TRUE(proto::IsLoopbackAddress(a)) << a;
  }
  for (const char* a : {"0.0.0.0:50051", ":50051", "[::]:50051", "10.0.0.1:50051", "head:50051",
                        "localhost.example.com:1", "128.0.0.1:5", "unix:/tmp/sock"}) {
    EXPECT_FALSE(proto::IsLoopbackAddress(a)) << a;
  }
}

TEST(CredentialsTest, ServerRefusesPlainTextOffLoopbackUnlessInsecure) {
  ServerSecurityOptions o;
  auto refused = proto::MakeServerCredentials("0.0.0.0:50051", o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("--listen 0.0.0.0:50051 is not a loopback address"), std::string::npos);
  EXPECT_NE(refused.status().message().find("--tls-cert FILE --tls-key FILE"), std::string::npos);
  EXPECT_NE(refused.status().message().find("--insecure"), std::string::npos);
  EXPECT_OK(proto::MakeServerCredentials("127.0.0.1:50051", o));
  o.insecure = true;
  EXPECT_OK(proto::MakeServerCredentials("0.0.0.0:50051", o));
  o.auth_processor = std::make_shared<TokenAuthProcessor>(TokenTable(), nullptr);
  auto clear_tokens = proto::MakeServerCredentials("0.0.0.0:50051", o);
  ASSERT_FALSE(clear_tokens.ok());
  EXPECT_NE(clear_tokens.status().message().find("clear text"), std::string::npos);
}

TEST(CredentialsTest, FlagsThatGoTogether) {
  ServerSecurityOptions o;
  o.tls_cert_file = "server.crt";
  auto half = proto::MakeServerCredentials("127.0.0.1:0", o);
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().message(), "--tls-cert and --tls-key go together: give both or neither");
  o = ServerSecurityOptions();
  o.tls_client_ca_file = "ca.crt";
  EXPECT_FALSE(proto::MakeServerCredentials("127.0.0.1:0", o).ok());
  TempDir dir;
  o = ServerSecurityOptions();
  o.tls_cert_file = dir.File("missing.crt");
  o.tls_key_file = dir.File("missing.key");
  auto missing = proto::MakeServerCredentials("127.0.0.1:0", o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("missing."), std::string::npos);

  ChannelSecurityOptions c;
  c.token = "t";
  auto off_loopback = MakeChannel("head:50051", c);
  ASSERT_FALSE(off_loopback.ok());
  EXPECT_NE(off_loopback.status().message().find("only over TLS: pass --tls-ca FILE"), std::string::npos);
  EXPECT_OK(MakeChannel("localhost:50051", c));
  c = ChannelSecurityOptions();
  c.tls_cert_file = "client.crt";
  c.tls_key_file = "client.key";
  EXPECT_FALSE(MakeChannel("localhost:50051", c).ok()) << "a client certificate without --tls-ca";
}

TEST(CredentialsTest, ClientTokenFromFileOrEnvironment) {
  TempDir dir;
  unsetenv("LTSWEEP_TOKEN");
  auto none = proto::LoadClientToken("");
  ASSERT_OK(none);
  EXPECT_EQ(*none, "");
  setenv("LTSWEEP_TOKEN", " from-env\n", 1);
  EXPECT_EQ(*proto::LoadClientToken(""), "from-env");
  const std::string path = dir.File("my.token");
  ::ltsweep::testing::WriteFile(path, "\n  from-file  \nsecond line\n");
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto open_file = proto::LoadClientToken(path);
  ASSERT_FALSE(open_file.ok());
  EXPECT_NE(open_file.status().message().find("--token-file: " + path), std::string::npos);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(*proto::LoadClientToken(path), "from-file") << "the file wins over $LTSWEEP_TOKEN";
  ::ltsweep::testing::WriteFile(path, "two words\n");
  EXPECT_FALSE(proto::LoadClientToken(path).ok());
  ::ltsweep::testing::WriteFile(path, "\n\n");
  EXPECT_FALSE(proto::LoadClientToken(path).ok());
  EXPECT_EQ(proto::LoadClientToken(dir.File("absent")).status().code(), StatusCode::kNotFound);
  unsetenv("LTSWEEP_TOKEN");
}

// --- Tokens over loopback (local credentials) --------------------------------------

class LoopbackAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<TokenEntry> entries;
    for (Role r : {Role::kAdmin, Role::kSubmit, Role::kRead, Role::kWorker}) {
      const std::string token = std::string("token-of-") + RoleName(r);
      entries.push_back({Sha256Hex(token), r, std::string(RoleName(r)) + "-user"});
    }
    ServerSecurityOptions o;
    o.auth_processor = std::make_shared<TokenAuthProcessor>(
        TokenTable(entries), [this](const std::string& line) {
          std::lock_guard<std::mutex> lock(mu_);
          log_ += line + "\n";
        });
    server_ = std::make_unique<TestServer>(o);
  }

  std::shared_ptr<grpc::Channel> WithToken(const std::string& token) {
    ChannelSecurityOptions c;
    c.token = token;
    return Channel(server_->localhost(), c);
  }

  std::mutex mu_;
  std::string log_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(LoopbackAuthTest, EveryRpcNeedsAValidTokenOfAnAllowedRole) {
  auto plain = PlainChannel(server_->address());
  auto wrong = WithToken("token-of-nobody");
  for (const std::string& rpc : AllRpcs()) {
    grpc::Status none = Call(plain, rpc);
    EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc;
    grpc::Status bad = Call(wrong, rpc);
    EXPECT_EQ(bad.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc;
    EXPECT_EQ(bad.error_message(), "invalid token");
    grpc::Status malformed = Call(plain, rpc, "Basic token-of-admin");
    EXPECT_EQ(malformed.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc;
    EXPECT_EQ(malformed.error_message(), bad.error_message()) << "nothing that tells a guesser which was wrong";
    for (Role r : {Role::kAdmin, Role::kSubmit, Role::kRead, Role::kWorker}) {
      grpc::Status s = Call(WithToken(std::string("token-of-") + RoleName(r)), rpc);
      if (RoleAllows(r, RequiredAccess(rpc))) {
        EXPECT_TRUE(Reached(s)) << rpc << " as " << RoleName(r) << ": " << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << rpc << " as " << RoleName(r);
      }
    }
  }
}

TEST_F(LoopbackAuthTest, WorkerCannotSubmitReadCannotCancel) {
  grpc::Status submit = Call(WithToken("token-of-worker"), "/ltsweep.v1.ClientService/SubmitSweep");
  EXPECT_EQ(submit.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status cancel = Call(WithToken("token-of-read"), "/ltsweep.v1.ClientService/CancelSweep");
  EXPECT_EQ(cancel.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Reached(Call(WithToken("token-of-submit"), "/ltsweep.v1.ClientService/CancelSweep")));
  grpc::Status lease = Call(WithToken("token-of-submit"), "/ltsweep.v1.WorkerService/Lease");
  EXPECT_EQ(lease.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(LoopbackAuthTest, HealthCheckingStaysOpen) {
  grpc::Status health = Call(PlainChannel(server_->address()), kHealthCheck);
  EXPECT_NE(health.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(health.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(health.error_code(), grpc::StatusCode::UNAVAILABLE) << health.error_message();
}

TEST_F(LoopbackAuthTest, NoTokenEverReachesTheLog) {
  for (Role r : {Role::kAdmin, Role::kSubmit, Role::kRead, Role::kWorker}) {
    for (const std::string& rpc : AllRpcs()) Call(WithToken(std::string("token-of-") + RoleName(r)), rpc);
  }
  Call(WithToken("token-of-nobody"), kListSweeps);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_NE(log_.find("refused"), std::string::npos);
  EXPECT_NE(log_.find("read-user"), std::string::npos) << "refusals name the token's name";
  EXPECT_EQ(log_.find("token-of-"), std::string::npos) << log_;
}

TEST(LoopbackNoTokensTest, WithoutTokensEverythingWorksAsBefore) {
  TestServer server{ServerSecurityOptions()};
  for (const std::string& rpc : AllRpcs()) EXPECT_TRUE(Reached(Call(PlainChannel(server.address()), rpc))) << rpc;
  ChannelSecurityOptions c;
  c.token = "whatever";
  EXPECT_TRUE(Reached(Call(Channel(server.localhost(), c), kListSweeps))) << "a token is simply ignored";
}

// --- TLS and mutual TLS ------------------------------------------------------------

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = ::ltsweep::testing::MakeTestPki(dir_.path());
    if (!pki.ok()) GTEST_SKIP() << pki.status().message();
    pki_ = *pki;
    processor_ = std::make_shared<TokenAuthProcessor>(
        TokenTable({{Sha256Hex("reader-token"), Role::kRead, "reader"}}), nullptr);
  }

  ServerSecurityOptions Server(bool mutual) const {
    ServerSecurityOptions o;
    o.tls_cert_file = pki_.server_cert;
    o.tls_key_file = pki_.server_key;
    if (mutual) o.tls_client_ca_file = pki_.ca_cert;
    o.auth_processor = processor_;
    return o;
  }

  ChannelSecurityOptions Client(const std::string& ca, const std::string& token = "reader-token") const {
    ChannelSecurityOptions c;
    c.tls_ca_file = ca;
    c.token = token;
    return c;
  }

  TempDir dir_;
  ::ltsweep::testing::TestPki pki_;
  std::shared_ptr<TokenAuthProcessor> processor_;
};

TEST_F(TlsTest, TokenOverTlsWorksAndANonLoopbackListenIsAllowed) {
  TestServer server(Server(false), "0.0.0.0:0");
  EXPECT_TRUE(Reached(Call(Channel(server.address(), Client(pki_.ca_cert)), kListSweeps)));
  EXPECT_TRUE(Reached(Call(Channel(server.localhost(), Client(pki_.ca_cert)), kListSweeps)));
  grpc::Status none = Call(Channel(server.address(), Client(pki_.ca_cert, "")), kListSweeps);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status health = Call(Channel(server.address(), Client(pki_.ca_cert, "")), kHealthCheck);
  EXPECT_NE(health.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(health.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, PlainTextClientGetsAClearHint) {
  TestServer server(Server(false));
  grpc::Status s = Call(PlainChannel(server.address()), kListSweeps);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(proto::TransportErrorHint(s, /*tls=*/false),
            "TLS handshake failed: is the coordinator using TLS? pass --tls-ca FILE")
      << s.error_message();
}

TEST_F(TlsTest, TlsClientAgainstPlainTextServerGetsAHint) {
  TestServer server{ServerSecurityOptions()};
  grpc::Status s = Call(Channel(server.address(), Client(pki_.ca_cert)), kListSweeps);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(proto::TransportErrorHint(s, /*tls=*/true).find("answered in plain text"), std::string::npos)
      << s.error_message();
}

TEST_F(TlsTest, ServerCertificateFromAnotherCaIsRefused) {
  TestServer server(Server(false));
  grpc::Status s = Call(Channel(server.address(), Client(pki_.other_ca_cert)), kListSweeps);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(proto::TransportErrorHint(s, /*tls=*/true).find("check that --tls-ca"), std::string::npos)
      << s.error_message();
}

TEST_F(TlsTest, MutualTlsRefusesMissingAndForeignClientCertificates) {
  TestServer server(Server(true));
  EXPECT_FALSE(Reached(Call(Channel(server.address(), Client(pki_.ca_cert)), kListSweeps)))
      << "no client certificate";
  ChannelSecurityOptions foreign = Client(pki_.ca_cert);
  foreign.tls_cert_file = pki_.other_client_cert;
  foreign.tls_key_file = pki_.other_client_key;
  grpc::Status s = Call(Channel(server.address(), foreign), kListSweeps);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_NE(proto::TransportErrorHint(s, /*tls=*/true).find("--tls-cert"), std::string::npos) << s.error_message();
  ChannelSecurityOptions ours = Client(pki_.ca_cert);
  ours.tls_cert_file = pki_.client_cert;
  ours.tls_key_file = pki_.client_key;
  EXPECT_TRUE(Reached(Call(Channel(server.address(), ours), kListSweeps)));
  grpc::Status no_token = Call(Channel(server.address(), Client(pki_.ca_cert, "")), kListSweeps);
  EXPECT_FALSE(Reached(no_token));
}

}  // namespace
}  // namespace ltsweep::coordinator
