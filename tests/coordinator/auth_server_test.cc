// The real CoordinatorServer with its security options
// (coordinator/auth_server.h): tokens checked on its real services,
// health checking open, reflection off unless asked for, the listen rules,
// and a log that names tokens but never shows one.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "coordinator/auth_tokens.h"
#include "coordinator/coordinator_server.h"
#include "proto/client_service.grpc.pb.h"
#include "proto/credentials.h"
#include "proto/worker_service.grpc.pb.h"
#include "tests/coordinator/auth_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using ::ltsweep::testing::TempDir;

constexpr char kSpec[] = "name: s\nconfig:\n  train: {epochs: 1}\nparameters:\n  train.lr: {values: [0.1]}\n";

class CoordinatorAuthTest : public ::testing::Test {
 protected:
  // Starts a server; `tokens`: whether to give it a tokens file (admin,
  // submit, read and worker tokens).
  void Start(bool tokens) {
    options_.db_path = dir_.File("sweeps.db");
    options_.listen = "127.0.0.1:0";
    options_.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      log_ += line + "\n";
    };
    if (tokens) {
      const std::string file = dir_.File("tokens");
      for (Role r : {Role::kAdmin, Role::kSubmit, Role::kRead, Role::kWorker}) {
        auto created = CreateToken(file, r, RoleName(r));
        ASSERT_OK(created);
        token_[r] = created->token;
      }
      options_.security.auth_tokens_file = file;
    }
    server_ = std::make_unique<CoordinatorServer>(options_);
    auto port = server_->Start();
    ASSERT_OK(port);
    address_ = "localhost:" + std::to_string(*port);
  }

  std::shared_ptr<grpc::Channel> As(Role role) {
    proto::ChannelSecurityOptions c;
    c.token = token_[role];
    return *proto::MakeChannel(address_, c);
  }
  std::shared_ptr<grpc::Channel> Anonymous() { return grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()); }

  grpc::Status Submit(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext ctx;
    v1::SubmitSweepRequest req;
    req.set_spec_yaml(kSpec);
    req.set_source_name("s.yaml");
    v1::SubmitSweepResponse resp;
    return v1::ClientService::NewStub(channel)->SubmitSweep(&ctx, req, &resp);
  }
  grpc::Status ListSweeps(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext ctx;
    v1::ListSweepsResponse resp;
    return v1::ClientService::NewStub(channel)->ListSweeps(&ctx, v1::ListSweepsRequest(), &resp);
  }
  grpc::Status Register(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext ctx;
    v1::RegisterRequest req;
    req.set_host("h");
    req.set_slots(1);
    v1::RegisterResponse resp;
    return v1::WorkerService::NewStub(channel)->Register(&ctx, req, &resp);
  }
  TempDir dir_;
  CoordinatorOptions options_;
  std::unique_ptr<CoordinatorServer> server_;
  std::string address_;
  std::map<Role, std::string> token_;
  std::mutex mu_;
  std::string log_;
};

TEST_F(CoordinatorAuthTest, TokensGuardTheRealServices) {
  Start(/*tokens=*/true);
  EXPECT_EQ(ListSweeps(Anonymous()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Submit(As(Role::kRead)).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Submit(As(Role::kWorker)).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Submit(As(Role::kSubmit)).ok());
  EXPECT_TRUE(ListSweeps(As(Role::kRead)).ok());
  EXPECT_EQ(Register(As(Role::kSubmit)).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Register(As(Role::kWorker)).ok());
  EXPECT_TRUE(Register(As(Role::kAdmin)).ok());
  server_->Shutdown();
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_NE(log_.find("auth: 4 tokens (admin 1, read 1, submit 1, worker 1) from "), std::string::npos) << log_;
  EXPECT_NE(log_.find("auth: refused /ltsweep.v1.ClientService/SubmitSweep: token \"read\" has role read"),
            std::string::npos)
      << log_;
  for (const auto& [role, token] : token_) EXPECT_EQ(log_.find(token), std::string::npos) << RoleName(role);
}

TEST_F(CoordinatorAuthTest, HealthStaysOpenReflectionIsOffUnlessAsked) {
  Start(/*tokens=*/true);
  using ::ltsweep::testing::CallMethod;
  EXPECT_TRUE(CallMethod(Anonymous(), "/grpc.health.v1.Health/Check").ok());
  const char* reflection = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  EXPECT_EQ(CallMethod(As(Role::kAdmin), reflection).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  server_->Shutdown();
  server_.reset();

  options_.db_path = dir_.File("other.db");
  options_.security.reflection = true;
  CoordinatorServer with_reflection(options_);
  auto port = with_reflection.Start();
  ASSERT_OK(port);
  address_ = "localhost:" + std::to_string(*port);
  EXPECT_EQ(CallMethod(Anonymous(), reflection).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status read = CallMethod(As(Role::kRead), reflection);
  EXPECT_NE(read.error_code(), grpc::StatusCode::UNIMPLEMENTED) << read.error_message();
  EXPECT_NE(read.error_code(), grpc::StatusCode::PERMISSION_DENIED) << read.error_message();
  EXPECT_EQ(CallMethod(As(Role::kWorker), reflection).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CoordinatorAuthTest, WithoutTokensLoopbackWorksAsBefore) {
  Start(/*tokens=*/false);
  EXPECT_TRUE(Submit(Anonymous()).ok());
  EXPECT_TRUE(ListSweeps(Anonymous()).ok());
  EXPECT_TRUE(Register(Anonymous()).ok());
}

TEST(CoordinatorListenTest, DefaultIsLoopbackAndPlainTextOffLoopbackIsRefused) {
  EXPECT_EQ(CoordinatorOptions().listen, "127.0.0.1:50051");
  TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("sweeps.db");
  options.listen = "0.0.0.0:0";
  options.log = [](const std::string&) {};
  {
    CoordinatorServer server(options);
    auto port = server.Start();
    ASSERT_FALSE(port.ok());
    EXPECT_EQ(port.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(port.status().message().find("--insecure"), std::string::npos);
  }
  options.security.insecure = true;
  CoordinatorServer server(options);
  EXPECT_OK(server.Start());
}

}  // namespace
}  // namespace ltsweep::coordinator
