// A real Worker (threads, real trainer processes of the fake trainer) against
// a scripted WorkerService on loopback: how each fault ends an attempt.
//   - trainer exit 5 -> RETRY_ELSEWHERE; faults of the worker around the
//     trainer (attempt folder, config file, full disk, exec) -> WORKER_FAULT
//   - lease.timeout_ms and the no-progress watchdog -> FAILED_RETRYABLE,
//     whole trainer process group killed
//   - hostile trainer output (a huge line, deep JSON, invalid UTF-8 on
//     stderr) never loses the finish
//   - Lease request ids reused on retry; rows the coordinator rejects are
//     logged and the worker carries on; drops counted at shutdown
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proto/worker_service.grpc.pb.h"
#include "tests/testing/test_util.h"
#include "worker/worker.h"

namespace ltsweep::worker {
namespace {

namespace fs = std::filesystem;
using ::ltsweep::testing::TempDir;
using Ms = std::chrono::milliseconds;

// Sets environment variables for the test's lifetime (trainers inherit them).
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {
    for (const auto& [k, v] : vars_) setenv(k.c_str(), v.c_str(), 1);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    for (const auto& [k, v] : vars_) unsetenv(k.c_str());
  }

 private:
  std::map<std::string, std::string> vars_;
};

// Grants the leases queued with Add() one by one, then "nothing yet"; keeps
// every lease alive; records every request it receives.
class ScriptedCoordinator final : public v1::WorkerService::Service {
 public:
  void Add(v1::LeaseResponse lease) {
    std::lock_guard<std::mutex> lock(mu_);
    lease.set_granted(true);
    lease.set_token(fmt::format("{:032x}", lease.trial_id()));  // the form worker/lease_validation.h wants
    if (lease.attempt() == 0) lease.set_attempt(1);
    queue_.push_back(std::move(lease));
  }
  // The next `n` Lease calls fail with UNAVAILABLE (after the coordinator
  // has seen them).
  void FailLeases(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_leases_ = n;
  }
  // Every ReportMetrics answer says `n` rows were rejected.
  void RejectRows(int n, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    reject_rows_ = n;
    rejection_ = why;
  }
  // Waits (up to a minute: a hang guard, not a timing) for `n` finishes.
  std::vector<v1::FinishAttemptRequest> WaitFinishes(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(60), [&] { return finishes_.size() >= n; });
    return finishes_;
  }
  std::vector<v1::LeaseRequest> lease_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return lease_requests_;
  }

  grpc::Status Register(grpc::ServerContext*, const v1::RegisterRequest*, v1::RegisterResponse* resp) override {
    resp->set_worker_id("w-1");
    resp->set_heartbeat_interval_ms(100);
    resp->set_lease_ttl_ms(60'000);
    return grpc::Status::OK;
  }
  grpc::Status Lease(grpc::ServerContext*, const v1::LeaseRequest* req, v1::LeaseResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    lease_requests_.push_back(*req);
    if (fail_leases_ > 0) {
      --fail_leases_;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "scripted outage");
    }
    if (queue_.empty()) {
      resp->set_granted(false);
      resp->set_retry_after_ms(20);
      return grpc::Status::OK;
    }
    *resp = queue_.front();
    queue_.pop_front();
    return grpc::Status::OK;
  }
  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* req, v1::HeartbeatResponse* resp) override {
    for (const auto& l : req->leases()) {
      auto* st = resp->add_leases();
      st->set_trial_id(l.trial_id());
      st->set_token(l.token());
      st->set_alive(true);
    }
    return grpc::Status::OK;
  }
  grpc::Status ReportMetrics(grpc::ServerContext*, const v1::ReportMetricsRequest* req,
                             v1::ReportMetricsResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    const int rejected = std::min(reject_rows_, req->rows_size());
    resp->set_rows_written(req->rows_size() - rejected);
    resp->set_rows_rejected(rejected);
    if (rejected > 0) resp->set_first_rejection(rejection_);
    return grpc::Status::OK;
  }
  grpc::Status FinishAttempt(grpc::ServerContext*, const v1::FinishAttemptRequest* req,
                             v1::FinishAttemptResponse* resp) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      finishes_.push_back(*req);
    }
    cv_.notify_all();
    resp->set_trial_state("whatever");
    return grpc::Status::OK;
  }
  grpc::Status StopWorker(grpc::ServerContext*, const v1::StopWorkerRequest*, v1::StopWorkerResponse*) override {
    return grpc::Status::OK;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::LeaseResponse> queue_;
  int fail_leases_ = 0;
  int reject_rows_ = 0;
  std::string rejection_;
  std::vector<v1::LeaseRequest> lease_requests_;
  std::vector<v1::FinishAttemptRequest> finishes_;
};

v1::LeaseResponse TrialLease(int64_t trial_id, int epochs, int64_t timeout_ms = 0, int64_t no_progress_ms = 0) {
  v1::LeaseResponse lease;
  lease.set_trial_id(trial_id);
  lease.set_sweep_id(1);
  lease.set_config_hash(fmt::format("{:064x}", trial_id));
  lease.set_config_json(
      nlohmann::json{{"train", {{"epochs", epochs}, {"seed", trial_id}, {"lr", 0.1}}}}.dump());
  lease.set_timeout_ms(timeout_ms);
  lease.set_no_progress_timeout_ms(no_progress_ms);
  return lease;
}

// Strict UTF-8 (no overlong forms, no surrogates), as protobuf checks it.
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Polls `done` every 20 ms for up to `timeout` (a hang guard).
bool WaitUntil(const std::function<bool()>& done, Ms timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(Ms(20));
  }
  return true;
}

bool PidAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  return close == std::string::npos || close + 2 >= text.size() || text[close + 2] != 'Z';
}

class WorkerFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    options_.coordinator = "127.0.0.1:" + std::to_string(port_);
    options_.slots = 1;
    options_.trainer_path = LTSWEEP_FAKE_TRAIN_PATH;
    options_.work_dir = dir_.File("work");
    options_.grace = Ms(2'000);
    options_.rpc_timeout = Ms(5'000);
    options_.metric_flush_interval = Ms(50);
    options_.threads_per_trial = 1;
    options_.backoff = BackoffOptions{10, 100, 2.0, 0.0};
    options_.seed = 1;
    options_.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
  }
  void TearDown() override {
    StopWorker();
    if (server_) server_->Shutdown();
  }

  void StartWorker() {
    worker_ = std::make_unique<Worker>(options_);
    thread_ = std::thread([this] { run_status_ = worker_->Run(); });
  }
  void StopWorker() {
    if (!worker_) return;
    worker_->Stop();
    thread_.join();
    worker_.reset();
  }
  // Runs the worker until `n` finishes arrived, then stops it.
  std::vector<v1::FinishAttemptRequest> RunUntilFinishes(size_t n) {
    StartWorker();
    auto finishes = service_.WaitFinishes(n);
    StopWorker();
    EXPECT_OK(run_status_);
    EXPECT_EQ(finishes.size(), n) << Log();
    return finishes;
  }
  std::string Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    std::string all;
    for (const auto& l : log_) all += l + "\n";
    return all;
  }
  std::vector<std::string> LogLines() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }
  // The attempt folder of trial `id` attempt 1, under the work dir.
  fs::path AttemptDir(int64_t id) const { return fs::path(options_.work_dir) / ("trial-" + std::to_string(id) + "-a1"); }

  TempDir dir_;
  ScriptedCoordinator service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  WorkerOptions options_;
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
  Status run_status_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

// ---- Exit classes -------------------------------------------------------------

TEST_F(WorkerFaultsTest, TrainerExitFiveIsRetryElsewhere) {
  ScopedEnv env({{"LTSWEEP_FAKE_EXIT", "5"}});
  service_.Add(TrialLease(1, 3));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::RETRY_ELSEWHERE) << v1::AttemptOutcome_Name(finishes[0].outcome());
  EXPECT_EQ(finishes[0].exit_code(), 5);
  EXPECT_NE(finishes[0].error().find("no CUDA device"), std::string::npos) << finishes[0].error();
}

TEST_F(WorkerFaultsTest, AnAttemptFolderThatCannotBeCreatedIsAWorkerFaultAndTheWorkerCarriesOn) {
  testing::WriteFile(AttemptDir(1), "a file where the attempt folder goes\n");
  service_.Add(TrialLease(1, 2));
  service_.Add(TrialLease(2, 2));
  ScopedEnv env({{"LTSWEEP_FAKE_EPOCH_MS", "1"}});
  auto finishes = RunUntilFinishes(2);
  ASSERT_EQ(finishes.size(), 2u);
  EXPECT_EQ(finishes[0].lease().trial_id(), 1);
  EXPECT_EQ(finishes[0].outcome(), v1::WORKER_FAULT) << v1::AttemptOutcome_Name(finishes[0].outcome());
  EXPECT_NE(finishes[0].error().find("cannot create the attempt folder"), std::string::npos) << finishes[0].error();
  EXPECT_EQ(finishes[1].lease().trial_id(), 2);
  EXPECT_EQ(finishes[1].outcome(), v1::SUCCEEDED) << finishes[1].error();
}

TEST_F(WorkerFaultsTest, AConfigFileThatCannotBeWrittenIsAWorkerFault) {
  fs::create_directories(AttemptDir(1) / "config.json");  // a folder where the file goes
  service_.Add(TrialLease(1, 2));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::WORKER_FAULT) << v1::AttemptOutcome_Name(finishes[0].outcome());
  EXPECT_NE(finishes[0].error().find("config.json"), std::string::npos) << finishes[0].error();
}

TEST_F(WorkerFaultsTest, AFullWorkDirIsAWorkerFault) {
  fs::create_directories(AttemptDir(1));
  fs::create_symlink("/dev/full", AttemptDir(1) / "config.json");  // every write: ENOSPC
  service_.Add(TrialLease(1, 2));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::WORKER_FAULT) << v1::AttemptOutcome_Name(finishes[0].outcome());
  EXPECT_NE(finishes[0].error().find("work dir full"), std::string::npos) << finishes[0].error();
}

TEST_F(WorkerFaultsTest, ATrainerThatCannotBeExecutedIsAWorkerFault) {
  // Executable (so the worker starts), but execve fails: no such interpreter.
  const std::string script = dir_.File("broken-trainer");
  testing::WriteFile(script, "#!/nonexistent/interpreter\n");
  chmod(script.c_str(), 0755);
  options_.trainer_path = script;
  service_.Add(TrialLease(1, 2));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::WORKER_FAULT) << v1::AttemptOutcome_Name(finishes[0].outcome());
  EXPECT_NE(finishes[0].error().find("cannot start the trainer"), std::string::npos) << finishes[0].error();
}

// ---- Time limits and process groups -------------------------------------------

TEST_F(WorkerFaultsTest, ATrialPastItsTimeLimitFailsRetryably) {
  ScopedEnv env({{"LTSWEEP_FAKE_EPOCH_MS", "20"}});
  service_.Add(TrialLease(1, 100'000, /*timeout_ms=*/300));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::FAILED_RETRYABLE) << v1::AttemptOutcome_Name(finishes[0].outcome());
  EXPECT_EQ(finishes[0].error().rfind("timed out after 300ms", 0), 0u) << finishes[0].error();
}

TEST_F(WorkerFaultsTest, ASilentTrainerIsStoppedByTheNoProgressWatchdog) {
  ScopedEnv env({{"LTSWEEP_FAKE_EPOCH_MS", "1"}, {"LTSWEEP_FAKE_HANG_EPOCH", "3"}});
  service_.Add(TrialLease(1, 100, 0, /*no_progress_ms=*/400));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::FAILED_RETRYABLE) << v1::AttemptOutcome_Name(finishes[0].outcome());
  EXPECT_EQ(finishes[0].error().rfind("no progress for 400ms: last event epoch 3 at ", 0), 0u) << finishes[0].error();
}

TEST_F(WorkerFaultsTest, TheWorkerFlagWatchesTrainersWhoseLeaseHasNoProgressLimit) {
  ScopedEnv env({{"LTSWEEP_FAKE_HANG", "1"}});
  options_.no_progress_timeout = Ms(300);
  service_.Add(TrialLease(1, 100));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::FAILED_RETRYABLE) << v1::AttemptOutcome_Name(finishes[0].outcome());
  EXPECT_EQ(finishes[0].error().rfind("no progress for 300ms: no event yet", 0), 0u) << finishes[0].error();
}

TEST_F(WorkerFaultsTest, AStubbornGrandchildOfATimedOutTrainerIsKilledWithItsGroup) {
  const std::string pids = dir_.File("pids");
  fs::create_directories(pids);
  ScopedEnv env({{"LTSWEEP_FAKE_FORK_CHILD", "1"}, {"LTSWEEP_FAKE_PID_DIR", pids}, {"LTSWEEP_FAKE_EPOCH_MS", "20"}});
  options_.grace = Ms(300);
  service_.Add(TrialLease(1, 100'000, /*timeout_ms=*/300));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::FAILED_RETRYABLE);
  int children = 0;
  for (const auto& e : fs::directory_iterator(pids)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("child-", 0) != 0) continue;
    ++children;
    const pid_t child = std::stoi(name.substr(6));
    // SIGKILL to the group is delivered before the finish is sent; the
    // kernel may take a moment to tear the process down.
    EXPECT_TRUE(WaitUntil([&] { return !PidAlive(child); }, Ms(10'000)))
        << "grandchild " << child << " survived its trainer";
  }
  EXPECT_EQ(children, 1);
}

// ---- Hostile or broken output -------------------------------------------------

TEST_F(WorkerFaultsTest, AHugeStdoutLineIsDroppedWithOneShortNote) {
  ScopedEnv env({{"LTSWEEP_FAKE_FLOOD_BYTES", std::to_string(3 << 20)}, {"LTSWEEP_FAKE_EPOCH_MS", "1"}});
  service_.Add(TrialLease(1, 2));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::SUCCEEDED) << finishes[0].error();
  int notes = 0;
  for (const auto& line : LogLines()) {
    EXPECT_LT(line.size(), 1000u) << line.substr(0, 200);
    if (line.find("dropped a stdout line longer than 1048576 bytes") != std::string::npos) {
      ++notes;
      EXPECT_NE(line.find("FLOODxxx"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(notes, 1) << Log().substr(0, 4000);
}

TEST_F(WorkerFaultsTest, DeeplyNestedJsonIsRefusedBeforeParsing) {
  ScopedEnv env({{"LTSWEEP_FAKE_DEEP_JSON", "200000"}, {"LTSWEEP_FAKE_EPOCH_MS", "1"}});
  service_.Add(TrialLease(1, 2));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::SUCCEEDED) << finishes[0].error();
  EXPECT_NE(Log().find("nested deeper than 32 levels"), std::string::npos) << Log().substr(0, 4000);
}

TEST_F(WorkerFaultsTest, InvalidUtf8OnStderrNeverLosesTheFinish) {
  ScopedEnv env({{"LTSWEEP_FAKE_BAD_UTF8_STDERR", "1"}, {"LTSWEEP_FAKE_EXIT", "1"}});
  service_.Add(TrialLease(1, 2));
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::FAILED_RETRYABLE);
  EXPECT_TRUE(IsValidUtf8(finishes[0].error()));
  EXPECT_LE(finishes[0].error().size(), 4096u);
  EXPECT_NE(finishes[0].error().find("stderr with invalid UTF-8"), std::string::npos) << finishes[0].error();
  EXPECT_NE(finishes[0].error().find("caf\xc3\xa9"), std::string::npos) << "valid characters are kept";
}

// ---- Lease request ids, rejected rows, drop counts ----------------------------

TEST_F(WorkerFaultsTest, ALeaseRequestRetriedAfterAnOutageKeepsItsRequestId) {
  service_.FailLeases(2);
  service_.Add(TrialLease(1, 1));
  service_.Add(TrialLease(2, 1));
  ScopedEnv env({{"LTSWEEP_FAKE_EPOCH_MS", "1"}});
  RunUntilFinishes(2);
  const auto requests = service_.lease_requests();
  ASSERT_GE(requests.size(), 4u);
  EXPECT_FALSE(requests[0].request_id().empty());
  EXPECT_EQ(requests[1].request_id(), requests[0].request_id()) << "a retry of the same request";
  EXPECT_EQ(requests[2].request_id(), requests[0].request_id()) << "a retry of the same request";
  EXPECT_NE(requests[3].request_id(), requests[2].request_id()) << "a new request after an answer";
  EXPECT_FALSE(requests[3].request_id().empty());
}

TEST_F(WorkerFaultsTest, RowsTheCoordinatorRejectsAreLoggedAndCountedAndTheTrialGoesOn) {
  service_.RejectRows(1, "row 0: metric name is empty");
  service_.Add(TrialLease(1, 3));
  ScopedEnv env({{"LTSWEEP_FAKE_EPOCH_MS", "1"}});
  auto finishes = RunUntilFinishes(1);
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(finishes[0].outcome(), v1::SUCCEEDED);
  const std::string log = Log();
  EXPECT_NE(log.find("rows rejected by the coordinator: row 0: metric name is empty"), std::string::npos) << log;
  // The shutdown summary counts them.
  EXPECT_NE(log.find("dropped metrics this run:"), std::string::npos) << log;
  EXPECT_EQ(log.find("dropped metrics this run: none"), std::string::npos) << log;
}

}  // namespace
}  // namespace ltsweep::worker
