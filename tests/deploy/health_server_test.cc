// `ltsweep coordinator --health-listen` (coordinator/health_server.h): a
// coordinator serving TLS on its main port also answers grpc.health.v1 in
// plain text on a second port -- what the kubelet's gRPC probe needs
// (deploy/kubernetes/ltsweep.yaml) -- and serves nothing else there.
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "coordinator/coordinator_server.h"
#include "tests/coordinator/auth_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using ::ltsweep::testing::CallMethod;
using ::ltsweep::testing::TempDir;

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

std::shared_ptr<grpc::Channel> Plain(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
}

TEST(HealthServerTest, PlainTextHealthBesideATlsCoordinator) {
  TempDir dir;
  auto pki = ::ltsweep::testing::MakeTestPki(dir.path());
  if (!pki.ok()) GTEST_SKIP() << "no test certificates (openssl command): " << pki.status().ToString();
  CoordinatorOptions options;
  options.db_path = dir.File("sweeps.db");
  options.listen = "127.0.0.1:0";
  options.health_listen = "127.0.0.1:0";
  options.security.tls_cert_file = pki->server_cert;
  options.security.tls_key_file = pki->server_key;
  std::string log;
  options.log = [&log](const std::string& line) { log += line + "\n"; };
  CoordinatorServer server(options);
  auto port = server.Start();
  ASSERT_OK(port);
  const int health = server.health_port();
  ASSERT_GT(health, 0);
  EXPECT_NE(health, *port);
  EXPECT_NE(log.find("health checks (grpc.health.v1 only, plain text) on 127.0.0.1:0"), std::string::npos) << log;

  EXPECT_TRUE(CallMethod(Plain(health), kHealthCheck).ok()) << "the probe port answers in plain text";
  EXPECT_EQ(CallMethod(Plain(health), "/ltsweep.v1.ClientService/ListSweeps").error_code(),
            grpc::StatusCode::UNIMPLEMENTED)
      << "nothing but health checks on the probe port";
  EXPECT_EQ(CallMethod(Plain(health), "/ltsweep.v1.WorkerService/Register").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_FALSE(CallMethod(Plain(*port), kHealthCheck).ok()) << "the main port speaks TLS only";

  server.Shutdown();
  EXPECT_FALSE(CallMethod(Plain(health), kHealthCheck).ok()) << "a stopped coordinator fails its probe";
}

}  // namespace
}  // namespace ltsweep::coordinator
