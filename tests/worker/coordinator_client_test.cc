// CoordinatorClient (error classes, gRPC status -> Status) and
// AttemptReporter (metric batches, outbox, finish), against an in-process
// fake WorkerService on loopback port 0 whose answers each test chooses.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "proto/worker_service.grpc.pb.h"
#include "tests/testing/test_util.h"
#include "worker/attempt_reporter.h"
#include "worker/coordinator_client.h"
#include "worker/lease_table.h"
#include "worker/outbox.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {
namespace {

using ::ltsweep::testing::TempDir;
using Ms = std::chrono::milliseconds;

TEST(ClassifyRpcErrorTest, EveryCodeHasItsClass) {
  const std::vector<std::pair<StatusCode, RpcFailure>> cases = {
      {StatusCode::kFailedPrecondition, RpcFailure::kLeaseGone},
      {StatusCode::kNotFound, RpcFailure::kLeaseGone},
      {StatusCode::kInvalidArgument, RpcFailure::kRefused},
      {StatusCode::kResourceExhausted, RpcFailure::kRefused},
      {StatusCode::kPermissionDenied, RpcFailure::kRefused},
      {StatusCode::kUnimplemented, RpcFailure::kRefused},
      {StatusCode::kUnavailable, RpcFailure::kTransient},
      {StatusCode::kDeadlineExceeded, RpcFailure::kTransient},
      {StatusCode::kInternal, RpcFailure::kTransient},
      {StatusCode::kUnknown, RpcFailure::kTransient},
      {StatusCode::kAborted, RpcFailure::kTransient},
      {StatusCode::kCancelled, RpcFailure::kTransient},
  };
  for (const auto& [code, expected] : cases) {
    const Status s(code, "x");
    EXPECT_EQ(ClassifyRpcError(s), expected) << StatusCodeName(code);
    EXPECT_EQ(IsTransient(s), expected == RpcFailure::kTransient) << StatusCodeName(code);
    EXPECT_EQ(IsLeaseGone(s), expected == RpcFailure::kLeaseGone) << StatusCodeName(code);
  }
  EXPECT_TRUE(IsUnknownWorker(NotFoundError("unknown worker w-1")));
  EXPECT_FALSE(IsUnknownWorker(FailedPreconditionError("stale token")));
  EXPECT_EQ(DescribeRpcError(UnavailableError("connection refused")), "connection refused (14)");
}

// Answers every RPC with the status set for it (OK by default) and records
// what it received.
class FakeWorkerService final : public v1::WorkerService::Service {
 public:
  void Fail(const std::string& method, grpc::StatusCode code, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[method] = grpc::Status(code, message);
  }
  void Succeed(const std::string& method) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_.erase(method);
  }
  std::vector<v1::ReportMetricsRequest> batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  std::vector<v1::FinishAttemptRequest> finishes() {
    std::lock_guard<std::mutex> lock(mu_);
    return finishes_;
  }

  grpc::Status Register(grpc::ServerContext*, const v1::RegisterRequest* req, v1::RegisterResponse* resp) override {
    resp->set_worker_id(req->worker_id().empty() ? "w-new" : req->worker_id());
    resp->set_heartbeat_interval_ms(250);
    return Answer("Register");
  }
  grpc::Status Lease(grpc::ServerContext*, const v1::LeaseRequest*, v1::LeaseResponse* resp) override {
    resp->set_granted(true);
    resp->set_trial_id(9);
    return Answer("Lease");
  }
  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest*, v1::HeartbeatResponse*) override {
    return Answer("Heartbeat");
  }
  grpc::Status ReportMetrics(grpc::ServerContext*, const v1::ReportMetricsRequest* req,
                             v1::ReportMetricsResponse*) override {
    grpc::Status s = Answer("ReportMetrics");
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) batches_.push_back(*req);
    return s;
  }
  grpc::Status FinishAttempt(grpc::ServerContext*, const v1::FinishAttemptRequest* req,
                             v1::FinishAttemptResponse* resp) override {
    grpc::Status s = Answer("FinishAttempt");
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) finishes_.push_back(*req);
    resp->set_trial_state("succeeded");
    return s;
  }
  grpc::Status StopWorker(grpc::ServerContext*, const v1::StopWorkerRequest*, v1::StopWorkerResponse*) override {
    return Answer("StopWorker");
  }

 private:
  grpc::Status Answer(const std::string& method) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = answers_.find(method);
    return it == answers_.end() ? grpc::Status::OK : it->second;
  }

  std::mutex mu_;
  std::map<std::string, grpc::Status> answers_;
  std::vector<v1::ReportMetricsRequest> batches_;
  std::vector<v1::FinishAttemptRequest> finishes_;
};

class CoordinatorClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    client_ = std::make_unique<CoordinatorClient>(
        CreateCoordinatorChannel("127.0.0.1:" + std::to_string(port_), 1 << 20, 200), Ms(5'000));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  FakeWorkerService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<CoordinatorClient> client_;
};

TEST_F(CoordinatorClientTest, AnswersAndErrorsComeBackAsStatus) {
  v1::RegisterRequest reg;
  reg.set_worker_id("w-7");
  auto registered = client_->Register(reg);
  ASSERT_OK(registered);
  EXPECT_EQ(registered->worker_id(), "w-7");
  EXPECT_EQ(registered->heartbeat_interval_ms(), 250);

  service_.Fail("Lease", grpc::StatusCode::NOT_FOUND, "unknown worker w-7");
  auto lease = client_->Lease(v1::LeaseRequest());
  EXPECT_EQ(lease.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(lease.status().message(), "unknown worker w-7");
  EXPECT_TRUE(IsUnknownWorker(lease.status()));

  service_.Fail("ReportMetrics", grpc::StatusCode::FAILED_PRECONDITION, "stale token");
  EXPECT_TRUE(IsLeaseGone(client_->ReportMetrics(v1::ReportMetricsRequest()).status()));
  service_.Fail("FinishAttempt", grpc::StatusCode::INVALID_ARGUMENT, "bad outcome");
  EXPECT_EQ(ClassifyRpcError(client_->FinishAttempt(v1::FinishAttemptRequest()).status()), RpcFailure::kRefused);
  service_.Fail("Heartbeat", grpc::StatusCode::UNAVAILABLE, "draining");
  EXPECT_TRUE(IsTransient(client_->Heartbeat(v1::HeartbeatRequest()).status()));
  EXPECT_OK(client_->StopWorker("w-7"));
}

TEST(CoordinatorClientUnreachableTest, NoCoordinatorIsTransient) {
  CoordinatorClient client(CreateCoordinatorChannel("127.0.0.1:1", 1 << 20, 200), Ms(300));
  auto r = client.Register(v1::RegisterRequest());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTransient(r.status())) << r.status().ToString();
}

v1::ReportMetricsRequest Batch(const ActiveLease& lease, int epoch) {
  v1::ReportMetricsRequest b;
  *b.mutable_lease() = lease.Ref();
  auto* row = b.add_rows();
  row->set_epoch(epoch);
  row->set_name("val_error");
  row->set_value(0.5);
  row->set_class_index(-1);
  return b;
}

class AttemptReporterTest : public CoordinatorClientTest {
 protected:
  AttemptReporterTest()
      : session_([this](const std::string& line) { log_.push_back(line); }, BackoffOptions{1, 2, 2.0, 0.0}, 1),
        outbox_(OutboxOptions{dir_.File("outbox"), 1 << 20}) {}
  void SetUp() override {
    CoordinatorClientTest::SetUp();
    ASSERT_OK(outbox_.Load());
    reporter_ = std::make_unique<AttemptReporter>(*client_, outbox_, session_, SystemClock::Default(), Ms(200));
  }

  TempDir dir_;
  std::vector<std::string> log_;
  WorkerSession session_;
  Outbox outbox_;
  std::unique_ptr<AttemptReporter> reporter_;
  ActiveLease lease_{3, 1, "tok"};
};

TEST_F(AttemptReporterTest, AnUnreachableCoordinatorBuffersInOrderAndDrainLaterDelivers) {
  service_.Fail("ReportMetrics", grpc::StatusCode::UNAVAILABLE, "down");
  v1::ReportMetricsRequest b0 = Batch(lease_, 0), b1 = Batch(lease_, 1);
  EXPECT_EQ(reporter_->Flush(b0, lease_), SendResult::kPending);
  EXPECT_EQ(b0.rows_size(), 0);  // cleared once sent or buffered
  EXPECT_EQ(reporter_->Flush(b1, lease_), SendResult::kPending);
  EXPECT_TRUE(reporter_->HasBuffered(lease_));
  service_.Succeed("ReportMetrics");
  EXPECT_EQ(reporter_->Drain(lease_), SendResult::kOk);
  EXPECT_FALSE(reporter_->HasBuffered(lease_));
  const auto got = service_.batches();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].rows(0).epoch(), 0);
  EXPECT_EQ(got[1].rows(0).epoch(), 1);
  EXPECT_FALSE(lease_.gone());
}

TEST_F(AttemptReporterTest, AStaleLeaseIsMarkedGoneAndItsBatchesDropped) {
  service_.Fail("ReportMetrics", grpc::StatusCode::UNAVAILABLE, "down");
  v1::ReportMetricsRequest b0 = Batch(lease_, 0), b1 = Batch(lease_, 1);
  EXPECT_EQ(reporter_->Flush(b0, lease_), SendResult::kPending);
  service_.Fail("ReportMetrics", grpc::StatusCode::FAILED_PRECONDITION, "stale token");
  EXPECT_EQ(reporter_->Flush(b1, lease_), SendResult::kGone);
  EXPECT_TRUE(lease_.gone());
  EXPECT_EQ(lease_.gone_reason(), "metrics refused: stale token");
  EXPECT_FALSE(reporter_->HasBuffered(lease_));
  // Later batches of a gone lease are discarded without a call, and no finish is sent.
  service_.Succeed("ReportMetrics");
  v1::ReportMetricsRequest b2 = Batch(lease_, 2);
  EXPECT_EQ(reporter_->Flush(b2, lease_), SendResult::kGone);
  EXPECT_TRUE(service_.batches().empty());
  EXPECT_FALSE(reporter_->Finish(lease_, v1::FinishAttemptRequest()));
  EXPECT_TRUE(service_.finishes().empty());
}

TEST_F(AttemptReporterTest, ARefusedBatchIsDroppedAndLogged) {
  service_.Fail("ReportMetrics", grpc::StatusCode::INVALID_ARGUMENT, "epoch out of range");
  v1::ReportMetricsRequest b0 = Batch(lease_, 0);
  EXPECT_EQ(reporter_->Flush(b0, lease_), SendResult::kOk);
  EXPECT_FALSE(lease_.gone());
  EXPECT_FALSE(reporter_->HasBuffered(lease_));
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.back().find("refused and dropped: epoch out of range"), std::string::npos) << log_.back();
}

TEST_F(AttemptReporterTest, FinishDeliversBufferedBatchesFirstAndARefusedFinishIsDropped) {
  service_.Fail("ReportMetrics", grpc::StatusCode::UNAVAILABLE, "down");
  v1::ReportMetricsRequest b0 = Batch(lease_, 0);
  EXPECT_EQ(reporter_->Flush(b0, lease_), SendResult::kPending);
  service_.Succeed("ReportMetrics");
  v1::FinishAttemptRequest finish;
  *finish.mutable_lease() = lease_.Ref();
  finish.set_outcome(v1::SUCCEEDED);
  EXPECT_TRUE(reporter_->Finish(lease_, finish));
  EXPECT_EQ(service_.batches().size(), 1u);
  ASSERT_EQ(service_.finishes().size(), 1u);
  EXPECT_EQ(service_.finishes()[0].outcome(), v1::SUCCEEDED);

  ActiveLease other(4, 1, "tok4");
  service_.Fail("FinishAttempt", grpc::StatusCode::FAILED_PRECONDITION, "lease expired");
  EXPECT_FALSE(reporter_->Finish(other, finish));
  EXPECT_NE(log_.back().find("finish refused: lease expired"), std::string::npos) << log_.back();
}

TEST_F(AttemptReporterTest, AStoppingWorkerGivesUpAfterTheGracePeriod) {
  service_.Fail("FinishAttempt", grpc::StatusCode::UNAVAILABLE, "down");
  session_.Stop();
  EXPECT_FALSE(reporter_->Finish(lease_, v1::FinishAttemptRequest()));
  EXPECT_NE(log_.back().find("coordinator unreachable while shutting down"), std::string::npos) << log_.back();
}

}  // namespace
}  // namespace ltsweep::worker
