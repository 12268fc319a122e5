// `ltsweep worker --exit-when-idle` (WorkerOptions::exit_when_idle): the idle
// rule on a fake clock (worker/idle_tracker.h), then whole workers against a
// real in-process coordinator on a real SQLite file, running the fake
// trainer: a worker runs a sweep and then exits by itself, holding no lease;
// a trial longer than the limit does not make its worker idle; a worker that
// never reaches a coordinator gives up after the limit.
#include <chrono>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "coordinator/coordinator_server.h"
#include "proto/client_service.grpc.pb.h"
#include "tests/testing/test_util.h"
#include "worker/idle_tracker.h"
#include "worker/worker.h"

namespace ltsweep::worker {
namespace {

using ::ltsweep::testing::TempDir;
using Ms = std::chrono::milliseconds;

TEST(IdleTrackerTest, NoLimitNeverExits) {
  FakeClock clock;
  IdleTracker idle(&clock, Ms(0));
  clock.Advance(Ms(3'600'000));
  EXPECT_EQ(idle.IdleFor(), Ms(3'600'000));
  EXPECT_FALSE(idle.ShouldExit());
  EXPECT_FALSE(idle.ClaimExit());
}

TEST(IdleTrackerTest, CountsFromStartAndFromTheLastAttemptsEnd) {
  FakeClock clock;
  IdleTracker idle(&clock, Ms(1'000));
  clock.Advance(Ms(999));
  EXPECT_FALSE(idle.ShouldExit());
  idle.AttemptStarted();
  idle.AttemptStarted();
  clock.Advance(Ms(5'000));  // a long trial: never idle while it runs
  EXPECT_EQ(idle.IdleFor(), Ms(0));
  EXPECT_FALSE(idle.ShouldExit());
  idle.AttemptEnded();
  clock.Advance(Ms(5'000));  // the other slot still runs
  EXPECT_FALSE(idle.ShouldExit());
  idle.AttemptEnded();
  clock.Advance(Ms(999));
  EXPECT_FALSE(idle.ShouldExit());
  clock.Advance(Ms(1));
  EXPECT_TRUE(idle.ShouldExit());
  EXPECT_TRUE(idle.ClaimExit());
  EXPECT_FALSE(idle.ClaimExit()) << "only one slot stops the worker";
}

// A coordinator on a real database in a temporary folder, with short timings.
class Coordinator {
 public:
  explicit Coordinator(const TempDir& dir) {
    coordinator::CoordinatorOptions co;
    co.db_path = dir.File("sweeps.db");
    co.listen = "127.0.0.1:0";
    co.lease_ttl = Ms(5'000);
    co.heartbeat_interval = Ms(200);
    co.scan_interval = Ms(100);
    co.idle_retry = Ms(100);
    co.log = [](const std::string&) {};
    server_ = std::make_unique<coordinator::CoordinatorServer>(co);
    auto port = server_->Start();
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    address_ = "127.0.0.1:" + std::to_string(port.ok() ? *port : 0);
    client_ = v1::ClientService::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  ~Coordinator() { server_->Shutdown(); }
  const std::string& address() const { return address_; }

  int64_t Submit(const std::string& yaml) {
    v1::SubmitSweepRequest request;
    request.set_spec_yaml(yaml);
    request.set_source_name("idle.yaml");
    v1::SubmitSweepResponse response;
    grpc::ClientContext ctx;
    EXPECT_TRUE(client_->SubmitSweep(&ctx, request, &response).ok());
    return response.sweep_id();
  }
  v1::ListTrialsResponse Trials(int64_t sweep_id) {
    v1::ListTrialsRequest request;
    request.set_sweep_id(sweep_id);
    v1::ListTrialsResponse response;
    grpc::ClientContext ctx;
    EXPECT_TRUE(client_->ListTrials(&ctx, request, &response).ok());
    return response;
  }
  v1::ListWorkersResponse Workers() {
    v1::ListWorkersResponse response;
    grpc::ClientContext ctx;
    EXPECT_TRUE(client_->ListWorkers(&ctx, v1::ListWorkersRequest(), &response).ok());
    return response;
  }

 private:
  std::unique_ptr<coordinator::CoordinatorServer> server_;
  std::string address_;
  std::unique_ptr<v1::ClientService::Stub> client_;
};

// A worker with the fake trainer whose Run() goes on a thread of its own, so
// the test can wait for it to return by itself.
class IdleWorker {
 public:
  IdleWorker(const std::string& coordinator, const std::string& work_dir, int slots, Ms exit_when_idle) {
    WorkerOptions o;
    o.coordinator = coordinator;
    o.slots = slots;
    o.trainer_path = LTSWEEP_FAKE_TRAIN_PATH;
    o.work_dir = work_dir;
    o.threads_per_trial = 1;
    o.metric_flush_interval = Ms(100);
    o.rpc_timeout = Ms(2'000);
    o.backoff = BackoffOptions{20, 200, 2.0, 0.0};
    o.exit_when_idle = exit_when_idle;
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      log_ += line + "\n";
    };
    worker_ = std::make_unique<Worker>(o);
    done_ = std::async(std::launch::async, [this] { return worker_->Run(); }).share();
  }
  ~IdleWorker() {
    worker_->Stop();
    done_.wait();
  }
  // Whether Run() returned by itself within `timeout`.
  bool ReturnedWithin(Ms timeout) { return done_.wait_for(timeout) == std::future_status::ready; }
  // Run()'s status (waits for it).
  Status status() { return done_.get(); }
  std::string log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  std::string id() const { return worker_->worker_id(); }

 private:
  std::unique_ptr<Worker> worker_;
  std::shared_future<Status> done_;
  std::mutex mu_;
  std::string log_;
};

class ExitWhenIdleTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("LTSWEEP_FAKE_EPOCH_MS", "50", 1); }
  void TearDown() override { unsetenv("LTSWEEP_FAKE_EPOCH_MS"); }
};

TEST_F(ExitWhenIdleTest, AWorkerRunsTheSweepThenExitsHoldingNoLease) {
  TempDir dir;
  Coordinator coordinator(dir);
  const int64_t sweep = coordinator.Submit("name: idle\nconfig:\n  train: {epochs: 3}\nseeds: [0, 1, 2, 3, 4]\n");
  IdleWorker worker(coordinator.address(), dir.File("work"), 2, Ms(1'000));
  ASSERT_TRUE(worker.ReturnedWithin(Ms(30'000))) << "the worker did not exit by itself\n" << worker.log();
  EXPECT_OK(worker.status());
  EXPECT_NE(worker.log().find("with no lease (--exit-when-idle 1.0 s): exiting"), std::string::npos)
      << worker.log();
  const auto trials = coordinator.Trials(sweep);
  ASSERT_EQ(trials.trials_size(), 5);
  for (const auto& t : trials.trials()) {
    EXPECT_EQ(t.state(), "succeeded") << "trial " << t.trial_id() << "\n" << worker.log();
    EXPECT_EQ(t.attempt(), 1) << "trial " << t.trial_id();
  }
  const auto workers = coordinator.Workers();
  ASSERT_EQ(workers.workers_size(), 1);
  EXPECT_EQ(workers.workers(0).state(), "stopped");
  EXPECT_EQ(workers.workers(0).current_size(), 0);
}

TEST_F(ExitWhenIdleTest, ATrialLongerThanTheLimitDoesNotMakeTheWorkerIdle) {
  TempDir dir;
  Coordinator coordinator(dir);
  // 20 epochs of 50 ms: about 1 s of training, more than three times the limit.
  const int64_t sweep = coordinator.Submit("name: long\nconfig:\n  train: {epochs: 20}\nseeds: [0]\n");
  // Two slots: the idle one keeps asking while the other runs the trial.
  IdleWorker worker(coordinator.address(), dir.File("work"), 2, Ms(300));
  ASSERT_TRUE(worker.ReturnedWithin(Ms(30'000))) << worker.log();
  EXPECT_OK(worker.status());
  const auto trials = coordinator.Trials(sweep);
  ASSERT_EQ(trials.trials_size(), 1);
  EXPECT_EQ(trials.trials(0).state(), "succeeded") << worker.log();
  EXPECT_EQ(trials.trials(0).attempt(), 1);
}

TEST_F(ExitWhenIdleTest, AWorkerThatNeverReachesACoordinatorGivesUpAfterTheLimit) {
  TempDir dir;
  std::string address;
  {
    Coordinator gone(dir);  // a port that nothing listens on any more
    address = gone.address();
  }
  IdleWorker worker(address, dir.File("work"), 1, Ms(500));
  ASSERT_TRUE(worker.ReturnedWithin(Ms(20'000))) << worker.log();
  EXPECT_OK(worker.status());
  EXPECT_NE(worker.log().find("could not register for 0.5 s (--exit-when-idle): exiting"), std::string::npos)
      << worker.log();
}

}  // namespace
}  // namespace ltsweep::worker
