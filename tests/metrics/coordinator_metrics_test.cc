// The coordinator's /metrics with tokens, in-process (CoordinatorServer with
// --auth-tokens and --http on loopback): the page asks for a read token,
// calls refused by the token check are counted (they never reach the RPC
// interceptor), and accepted calls are counted by method and code.
#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "coordinator/auth_tokens.h"
#include "coordinator/coordinator_server.h"
#include "proto/credentials.h"
#include "tests/coordinator/auth_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using ::testing::HasSubstr;
using ltsweep::testing::TempDir;

// The value of the sample line starting with `key` + " ", or -1.
double Sample(const std::string& text, const std::string& key) {
  const size_t at = text.find("\n" + key + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + key.size() + 2));
}

TEST(CoordinatorMetricsTest, TokensGuardThePageAndRefusalsAreCounted) {
  TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("sweeps.db");
  options.listen = "127.0.0.1:0";
  options.http_listen = "127.0.0.1:0";
  options.log = [](const std::string&) {};
  const std::string tokens = dir.File("tokens");
  auto read = CreateToken(tokens, Role::kRead, "prometheus");
  ASSERT_OK(read);
  auto worker = CreateToken(tokens, Role::kWorker, "w");
  ASSERT_OK(worker);
  options.security.auth_tokens_file = tokens;
  CoordinatorServer server(options);
  auto port = server.Start();
  ASSERT_OK(port);
  const std::string address = "localhost:" + std::to_string(*port);

  httplib::Client http("127.0.0.1", server.http_port());
  auto before = http.Get("/metrics", {{"Authorization", "Bearer " + read->token}});
  ASSERT_TRUE(before);
  ASSERT_EQ(before->status, 200);
  const double unauthenticated = std::max(0.0, Sample(before->body, "ltsweep_rpc_auth_refused_total{code=\"UNAUTHENTICATED\"}"));
  const double denied = std::max(0.0, Sample(before->body, "ltsweep_rpc_auth_refused_total{code=\"PERMISSION_DENIED\"}"));
  const double listed = std::max(
      0.0, Sample(before->body,
                  "ltsweep_rpc_duration_seconds_count{service=\"ClientService\",method=\"ListSweeps\",code=\"OK\"}"));

  auto anonymous = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(testing::CallMethod(anonymous, "/ltsweep.v1.ClientService/ListSweeps").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  proto::ChannelSecurityOptions as_worker;
  as_worker.token = worker->token;
  EXPECT_EQ(testing::CallMethod(*proto::MakeChannel(address, as_worker), "/ltsweep.v1.ClientService/SubmitSweep")
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  proto::ChannelSecurityOptions as_reader;
  as_reader.token = read->token;
  EXPECT_TRUE(testing::CallMethod(*proto::MakeChannel(address, as_reader), "/ltsweep.v1.ClientService/ListSweeps").ok());

  EXPECT_EQ(http.Get("/metrics")->status, 401);
  EXPECT_EQ(http.Get("/metrics", {{"Authorization", "Bearer not-a-token"}})->status, 401);
  auto after = http.Get("/metrics", {{"Authorization", "Bearer " + read->token}});
  ASSERT_TRUE(after);
  ASSERT_EQ(after->status, 200);
  EXPECT_THAT(after->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  EXPECT_EQ(Sample(after->body, "ltsweep_rpc_auth_refused_total{code=\"UNAUTHENTICATED\"}"), unauthenticated + 1);
  EXPECT_EQ(Sample(after->body, "ltsweep_rpc_auth_refused_total{code=\"PERMISSION_DENIED\"}"), denied + 1);
  EXPECT_EQ(Sample(after->body,
                   "ltsweep_rpc_duration_seconds_count{service=\"ClientService\",method=\"ListSweeps\",code=\"OK\"}"),
            listed + 1);
  server.Shutdown();
}

}  // namespace
}  // namespace ltsweep::coordinator
