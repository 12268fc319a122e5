// The whole system as separate processes on loopback: one coordinator
// (ltsweep-daemons coordinator) on a real SQLite file, worker daemons
// (ltsweep-daemons worker) running the fake trainer. Short lease TTL (2 s)
// and heartbeats (300 ms) keep each test within a few seconds.
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using namespace std::chrono_literals;

std::string SpecYaml(const std::string& name, int epochs, const std::vector<double>& lrs,
                     const std::vector<int>& seeds, int max_attempts = 3) {
  std::string lr_list, seed_list;
  for (double lr : lrs) lr_list += (lr_list.empty() ? "" : ", ") + fmt::format("{}", lr);
  for (int s : seeds) seed_list += (seed_list.empty() ? "" : ", ") + std::to_string(s);
  return fmt::format(
      "name: {}\nconfig:\n  train: {{epochs: {}}}\nseeds: [{}]\nmax_attempts: {}\nparameters:\n"
      "  train.lr: {{values: [{}]}}\n",
      name, epochs, seed_list, max_attempts, lr_list);
}

// The fake trainer's rows for epochs [0, epochs): 6 scalars and 4 per-class
// values per epoch; payloads: start, done and one confusion each. A resumed
// attempt (first epoch > 0) replays the checkpointed epochs before the rest
// (trainer contract, kFieldReplayed), so it too holds every epoch.
struct Counted {
  std::set<int> epochs;
  int scalars = 0, per_class = 0, payloads = 0;
  bool duplicates = false;
  int first_epoch = -1;  // from the start payload
  int trainer_pid = 0;
};

Counted Count(const v1::QueryMetricsResponse& m) {
  Counted c;
  std::set<std::tuple<int, std::string, int>> keys;
  for (const auto& p : m.points()) {
    if (!keys.insert({p.epoch(), p.name(), p.class_index()}).second) c.duplicates = true;
    (p.class_index() < 0 ? c.scalars : c.per_class)++;
    if (p.name() == "val_error") c.epochs.insert(p.epoch());
  }
  std::set<std::pair<int, std::string>> pkeys;
  for (const auto& p : m.payloads()) {
    if (!pkeys.insert({p.epoch(), p.kind()}).second) c.duplicates = true;
    ++c.payloads;
    if (p.kind() == "start") {
      auto j = nlohmann::json::parse(p.json());
      c.first_epoch = j.value("first_epoch", -1);
      c.trainer_pid = j.value("pid", 0);
    }
  }
  return c;
}

void ExpectComplete(const v1::QueryMetricsResponse& m, int first, int epochs, const std::string& what) {
  Counted c = Count(m);
  const int n = epochs;  // epochs [first, epochs) trained, [0, first) replayed
  EXPECT_FALSE(c.duplicates) << what;
  EXPECT_EQ(c.first_epoch, first) << what;
  EXPECT_EQ(c.scalars, 6 * n) << what;
  EXPECT_EQ(c.per_class, 4 * n) << what;
  EXPECT_EQ(c.payloads, n + 2) << what;
  std::set<int> want;
  for (int e = 0; e < epochs; ++e) want.insert(e);
  EXPECT_EQ(c.epochs, want) << what;
}

class IntegrationTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // LTSWEEP_TEST_SHOW_LOGS=1 prints the daemons' logs of passing tests too.
    if (HasFailure() || std::getenv("LTSWEEP_TEST_SHOW_LOGS")) {
      std::cerr << "---- coordinator log ----\n" << cluster_.CoordinatorLog();
      for (const auto& id : started_) std::cerr << "---- worker " << id << " log ----\n" << cluster_.WorkerLog(id);
    }
  }
  Process& Worker(const std::string& id, int slots, std::map<std::string, std::string> env,
                  std::vector<std::string> args = {}) {
    started_.push_back(id);
    return cluster_.StartWorker(WorkerSpec{id, slots, std::move(env), std::move(args)});
  }
  // Trial metrics of the latest attempt show at least `epochs` epochs.
  bool Reached(int64_t trial, int epochs) {
    return static_cast<int>(Count(cluster_.Metrics(trial)).epochs.size()) >= epochs;
  }
  // Waits (up to 10 s) until the sweep's first trial has reported `epochs`
  // epochs; its id, or 0 when it did not.
  int64_t FirstTrialReaching(int64_t sweep, int epochs) {
    int64_t trial = 0;
    const bool reached = WaitUntil([&] {
      auto trials = cluster_.Trials(sweep);
      if (trials.empty()) return false;
      trial = trials[0].trial_id();
      return Reached(trial, epochs);
    }, 10s);
    return reached ? trial : 0;
  }

  TempDir dir_;
  Cluster cluster_{dir_};
  std::vector<std::string> started_;
};

TEST_F(IntegrationTest, TwentyTrialsOverTwoWorkersRunOnceWithAllMetrics) {
  cluster_.StartCoordinator();
  Worker("wa", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}});
  Worker("wb", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}});
  const int64_t sweep = cluster_.Submit(SpecYaml("twenty", 3, {0.1, 0.2, 0.3, 0.4, 0.5}, {0, 1, 2, 3}));
  ASSERT_TRUE(cluster_.WaitFinished(sweep, 20s));
  v1::SweepInfo info = cluster_.Sweep(sweep);
  EXPECT_EQ(info.state(), "done");
  EXPECT_EQ(info.trials_total(), 20);
  EXPECT_EQ(info.trials_succeeded(), 20);
  std::set<std::string> workers;
  for (const auto& t : cluster_.Trials(sweep)) {
    EXPECT_EQ(t.state(), "succeeded");
    EXPECT_EQ(t.attempt(), 1) << "trial " << t.trial_id() << " ran more than once";
    EXPECT_TRUE(t.has_best());
    workers.insert(t.worker_id());
    ExpectComplete(cluster_.Metrics(t.trial_id()), 0, 3, fmt::format("trial {}", t.trial_id()));
  }
  EXPECT_TRUE(workers.count("wa") || workers.count("wb"));
  // The folders of the accepted attempts go (each just after its worker
  // hears the finish accepted); the outboxes stay.
  for (const char* id : {"wa", "wb"}) {
    const std::filesystem::path work = dir_.File(std::string("work-") + id);
    EXPECT_TRUE(std::filesystem::exists(work / "outbox")) << work;
    auto attempt_folders = [&work] {
      std::vector<std::string> left;
      for (const auto& entry : std::filesystem::directory_iterator(work)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("trial-", 0) == 0) left.push_back(name);
      }
      return left;
    };
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (!attempt_folders().empty() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(attempt_folders(), std::vector<std::string>()) << work;
  }
  // Both workers registered and every state change was logged.
  const std::string log = cluster_.CoordinatorLog();
  EXPECT_NE(log.find("worker joined: wa"), std::string::npos);
  EXPECT_NE(log.find("worker joined: wb"), std::string::npos);
  EXPECT_NE(log.find("sweep 1 submitted"), std::string::npos);
}

TEST_F(IntegrationTest, KilledWorkerTrialFinishesElsewhereFromItsCheckpoint) {
  cluster_.StartCoordinator();
  const std::string ckpt = dir_.File("checkpoints");
  std::map<std::string, std::string> env = {{"LTSWEEP_FAKE_EPOCH_MS", "150"}};
  Process& a = Worker("wa", 1, env, {"--checkpoint-root", ckpt});
  const int64_t sweep = cluster_.Submit(SpecYaml("kill-worker", 10, {0.1}, {0}));
  const int64_t trial = FirstTrialReaching(sweep, 3);
  ASSERT_GT(trial, 0);
  const int first_pid = Count(cluster_.Metrics(trial, 1)).trainer_pid;
  ASSERT_GT(first_pid, 0);
  a.Signal(SIGKILL);
  a.Wait(5s);
  // The orphaned trainer dies with its worker (PR_SET_PDEATHSIG).
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(first_pid); }, 2s));
  Worker("wb", 1, env, {"--checkpoint-root", ckpt});
  ASSERT_TRUE(cluster_.WaitFinished(sweep, 15s));
  auto trials = cluster_.Trials(sweep);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state(), "succeeded");
  EXPECT_EQ(trials[0].attempt(), 2);
  EXPECT_EQ(trials[0].worker_id(), "wb");

  Counted first = Count(cluster_.Metrics(trial, 1));
  Counted second = Count(cluster_.Metrics(trial, 2));
  EXPECT_FALSE(first.duplicates);
  EXPECT_FALSE(second.duplicates);
  EXPECT_GE(first.epochs.size(), 3u);
  // Resumed after the last checkpoint of attempt 1, not from epoch 0.
  EXPECT_GE(second.first_epoch, 2);
  ExpectComplete(cluster_.Metrics(trial, 2), second.first_epoch, 10, "attempt 2");
  EXPECT_NE(cluster_.CoordinatorLog().find("expired: retried as attempt 2"), std::string::npos);
}

TEST_F(IntegrationTest, KilledCoordinatorRestartsOnTheSameDatabaseAndTheSweepCompletes) {
  // A TTL that outlasts the restart: leases keep their deadlines and the
  // workers carry on with the same attempts.
  cluster_.StartCoordinator("5s");
  std::map<std::string, std::string> env = {{"LTSWEEP_FAKE_EPOCH_MS", "100"}};
  Worker("wa", 2, env);
  Worker("wb", 2, env);
  const int64_t sweep = cluster_.Submit(SpecYaml("kill-coordinator", 4, {0.1, 0.2, 0.3, 0.4}, {0, 1, 2}));
  ASSERT_TRUE(WaitUntil([&] { return cluster_.Sweep(sweep).trials_succeeded() >= 1; }, 10s));
  cluster_.KillCoordinator();
  std::this_thread::sleep_for(700ms);  // workers keep training and buffer their reports
  cluster_.StartCoordinator("5s");
  ASSERT_TRUE(cluster_.WaitFinished(sweep, 20s));
  v1::SweepInfo info = cluster_.Sweep(sweep);
  EXPECT_EQ(info.state(), "done");
  EXPECT_EQ(info.trials_succeeded(), 12);
  // Reports made while the coordinator was down reached it afterwards.
  EXPECT_NE(cluster_.WorkerLog("wa").find("coordinator reachable again"), std::string::npos);
  for (const auto& t : cluster_.Trials(sweep)) {
    EXPECT_EQ(t.state(), "succeeded");
    EXPECT_EQ(t.attempt(), 1) << "trial " << t.trial_id() << " lost its lease across the restart";
    EXPECT_TRUE(t.has_best() && t.has_last());
    ExpectComplete(cluster_.Metrics(t.trial_id()), 0, 4, fmt::format("trial {}", t.trial_id()));
  }
}

TEST_F(IntegrationTest, FrozenWorkerCannotOverwriteTheNewAttempt) {
  cluster_.StartCoordinator();
  std::map<std::string, std::string> env = {{"LTSWEEP_FAKE_EPOCH_MS", "150"}};
  Process& a = Worker("wa", 1, env);
  const int64_t sweep = cluster_.Submit(SpecYaml("frozen", 12, {0.1}, {0}));
  const int64_t trial = FirstTrialReaching(sweep, 1);
  ASSERT_GT(trial, 0);
  const int first_pid = Count(cluster_.Metrics(trial, 1)).trainer_pid;
  a.Signal(SIGSTOP);
  Worker("wb", 1, env);
  ASSERT_TRUE(WaitUntil([&] {
    auto t = cluster_.Trials(sweep);
    return t[0].attempt() == 2 && t[0].worker_id() == "wb";
  }, 10s));
  a.Signal(SIGCONT);
  // Worker A learns its lease is gone and stops its trainer.
  EXPECT_TRUE(WaitUntil([&] { return cluster_.WorkerLog("wa").find("is gone") != std::string::npos; }, 5s));
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(first_pid); }, 5s));
  ASSERT_TRUE(cluster_.WaitFinished(sweep, 15s));
  auto trials = cluster_.Trials(sweep);
  EXPECT_EQ(trials[0].state(), "succeeded");
  EXPECT_EQ(trials[0].attempt(), 2);
  EXPECT_EQ(trials[0].worker_id(), "wb");
  ExpectComplete(cluster_.Metrics(trial, 2), 0, 12, "attempt 2");

  // A report carrying attempt 1's token is refused and writes nothing.
  StoreOptions ro;
  ro.read_only = true;
  auto store = Store::Open(cluster_.db_path(), ro);
  ASSERT_OK(store);
  auto info = (*store)->GetTrial(trial);
  ASSERT_OK(info);
  ASSERT_EQ(info->attempts.size(), 2u);
  EXPECT_EQ(info->attempts[0].state, AttemptState::kLost);
  auto stub = v1::WorkerService::NewStub(cluster_.channel());
  grpc::ClientContext ctx;
  v1::ReportMetricsRequest req;
  req.set_worker_id("wa");
  req.mutable_lease()->set_trial_id(trial);
  req.mutable_lease()->set_attempt(1);
  req.mutable_lease()->set_token(info->attempts[0].lease_token);
  auto* row = req.add_rows();
  row->set_epoch(0);
  row->set_name("val_error");
  row->set_value(123.0);
  row->set_class_index(-1);
  v1::ReportMetricsResponse resp;
  grpc::Status s = stub->ReportMetrics(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  for (int attempt : {1, 2}) {
    const v1::QueryMetricsResponse m = cluster_.Metrics(trial, attempt);
    for (const auto& p : m.points()) EXPECT_NE(p.value(), 123.0);
  }
}

TEST_F(IntegrationTest, CancellingEndsEveryTrainerWithinTheGracePeriod) {
  cluster_.StartCoordinator();
  const std::string pids = dir_.File("pids");
  std::filesystem::create_directories(pids);
  Worker("wa", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "100"}, {"LTSWEEP_FAKE_PID_DIR", pids}});
  // These trainers ignore SIGTERM: only the SIGKILL after the grace ends them.
  Worker("wb", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "100"}, {"LTSWEEP_FAKE_PID_DIR", pids}, {"LTSWEEP_FAKE_IGNORE_TERM", "1"}});
  const int64_t sweep = cluster_.Submit(SpecYaml("cancel", 200, {0.1, 0.2}, {0, 1, 2}));
  std::vector<int> trainers;
  ASSERT_TRUE(WaitUntil([&] {
    trainers.clear();
    for (const auto& e : std::filesystem::directory_iterator(pids)) trainers.push_back(std::stoi(e.path().filename()));
    return trainers.size() == 4;
  }, 10s));
  grpc::ClientContext ctx;
  v1::CancelSweepRequest req;
  req.set_sweep_id(sweep);
  v1::CancelSweepResponse resp;
  ASSERT_TRUE(cluster_.client().CancelSweep(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.trials_cancelled(), 6);
  const auto cancelled_at = std::chrono::steady_clock::now();
  // Heartbeat (300 ms) + grace (1 s), with room for a slow machine.
  EXPECT_TRUE(WaitUntil([&] {
    for (int pid : trainers) {
      if (ProcessAlive(pid)) return false;
    }
    return true;
  }, 5s));
  std::cerr << "all trainers gone "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - cancelled_at).count()
            << " ms after the cancel\n";
  EXPECT_EQ(cluster_.Sweep(sweep).state(), "cancelled");
  for (const auto& t : cluster_.Trials(sweep)) EXPECT_EQ(t.state(), "cancelled");
  EXPECT_TRUE(WaitUntil([&] { return cluster_.WorkerLog("wb").find("SIGKILL") != std::string::npos; }, 2s));
  // The workers carry on (idle) after the cancel.
  EXPECT_TRUE(cluster_.worker("wa").running());
  EXPECT_TRUE(cluster_.worker("wb").running());
}

TEST_F(IntegrationTest, TrainerExitTwoFailsAtOnceAndACrashIsRetriedFromTheCheckpoint) {
  cluster_.StartCoordinator();
  Worker("wa", 2,
         {{"LTSWEEP_FAKE_EPOCH_MS", "30"}, {"LTSWEEP_FAKE_EXIT", "2"}, {"LTSWEEP_FAKE_ONLY_SEED", "1"},
          {"LTSWEEP_FAKE_CRASH_EPOCH", "1"}},
         {"--checkpoint-root", dir_.File("ckpt")});
  const int64_t sweep = cluster_.Submit(SpecYaml("exit-codes", 4, {0.1}, {0, 1}));
  ASSERT_TRUE(cluster_.WaitFinished(sweep, 15s));
  auto trials = cluster_.Trials(sweep);
  ASSERT_EQ(trials.size(), 2u);
  for (const auto& t : trials) {
    const int seed = nlohmann::json::parse(t.config_json())["train"]["seed"];
    if (seed == 1) {
      EXPECT_EQ(t.state(), "failed");
      EXPECT_EQ(t.attempt(), 1);
      EXPECT_NE(t.error().find("invalid config: train.seed 1"), std::string::npos) << t.error();
      // A failed attempt keeps its folder, with the trainer's stderr.
      const std::filesystem::path kept =
          std::filesystem::path(dir_.File("work-wa")) / fmt::format("trial-{}-a1", t.trial_id());
      EXPECT_TRUE(std::filesystem::exists(kept / "stderr.log")) << kept;
    } else {
      // Crashed (abort) after epoch 1, then resumed from epoch 2.
      EXPECT_EQ(t.state(), "succeeded");
      EXPECT_EQ(t.attempt(), 2);
      ExpectComplete(cluster_.Metrics(t.trial_id(), 2), 2, 4, "attempt 2");
    }
  }
}

// A trainer that exits 4 (interrupted) when nobody asked it to stop is
// counted like a crash: it uses up its tries instead of looping forever.
TEST_F(IntegrationTest, AnUnaskedExitFourUsesUpTheTrialsTries) {
  cluster_.StartCoordinator();
  Worker("wa", 1, {{"LTSWEEP_FAKE_EXIT", "4"}});
  const int64_t sweep = cluster_.Submit(SpecYaml("exit-four", 2, {0.1}, {0}, /*max_attempts=*/2));
  ASSERT_TRUE(cluster_.WaitFinished(sweep, 15s));
  auto trials = cluster_.Trials(sweep);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state(), "failed");
  EXPECT_EQ(trials[0].attempt(), 2);
  EXPECT_NE(trials[0].error().find("exited 4 (interrupted) without being asked to stop"), std::string::npos)
      << trials[0].error();
}

TEST_F(IntegrationTest, SigtermToTheWorkerInterruptsItsTrialsAndExits) {
  cluster_.StartCoordinator();
  Process& a = Worker("wa", 1, {{"LTSWEEP_FAKE_EPOCH_MS", "100"}});
  const int64_t sweep = cluster_.Submit(SpecYaml("sigterm", 100, {0.1}, {0}));
  const int64_t trial = FirstTrialReaching(sweep, 1);
  ASSERT_GT(trial, 0);
  a.Signal(SIGTERM);
  const int status = a.Wait(5s);
  ASSERT_NE(status, -1) << "the worker did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  auto trials = cluster_.Trials(sweep);
  EXPECT_EQ(trials[0].state(), "queued");  // back in the queue for attempt 2
  EXPECT_NE(trials[0].error().find("interrupted"), std::string::npos) << trials[0].error();
}

TEST_F(IntegrationTest, BadDaemonFlagsAreUsageErrorsNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"coordinator", "--db", dir_.File("x.db"), "--lease-ttl", "5parsecs"}, "--lease-ttl: unknown unit"},
      {{"coordinator", "--db", dir_.File("x.db"), "--lease-ttl", "2s", "--heartbeat", "3s"}, "must be shorter"},
      {{"coordinator", "--db", dir_.File("x.db"), "--quarantine-after", "-1"}, "--quarantine-after: must be 0"},
      {{"coordinator", "--db", dir_.File("x.db"), "--quarantine-cooldown", "5parsecs"},
       "--quarantine-cooldown: unknown unit"},
      {{"worker", "--coordinator", "127.0.0.1:1", "--gpus", "0,a"}, "--gpus: \"a\" is not a GPU index"},
      {{"worker", "--coordinator", "127.0.0.1:1", "--trainer", dir_.File("missing")}, "is not an executable file"},
  };
  int i = 0;
  for (const Case& c : cases) {
    std::vector<std::string> argv = {LTSWEEP_DAEMONS_PATH};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    Process p(argv, {}, dir_.File("flags-" + std::to_string(i++) + ".log"));
    const int status = p.Wait(10s);
    ASSERT_NE(status, -1) << c.message;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << c.message << ": status " << status;
    EXPECT_NE(p.log().find(c.message), std::string::npos) << p.log();
  }
}

// What each attempt ran with travels from the trainer's start event through
// the worker to the attempt row, and back out through ListTrials.
TEST_F(IntegrationTest, EachAttemptRecordsItsThreadsBlasAndDevice) {
  cluster_.StartCoordinator();
  Worker("wa", 1, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}, {"OPENBLAS_NUM_THREADS", "3"}});  // the cluster's --threads 1
  const int64_t sweep = cluster_.Submit(SpecYaml("runtime", 2, {0.1}, {0}));
  ASSERT_TRUE(cluster_.WaitFinished(sweep, 20s));
  const auto trials = cluster_.Trials(sweep);
  ASSERT_EQ(trials.size(), 1u);
  grpc::ClientContext ctx;
  v1::ListTrialsRequest request;
  request.set_trial_id(trials[0].trial_id());
  v1::ListTrialsResponse response;
  ASSERT_TRUE(cluster_.client().ListTrials(&ctx, request, &response).ok());
  ASSERT_EQ(response.trials_size(), 1);
  ASSERT_EQ(response.trials(0).attempts_size(), 1);
  const v1::AttemptInfo& attempt = response.trials(0).attempts(0);
  ASSERT_TRUE(attempt.has_runtime());
  EXPECT_EQ(attempt.runtime().threads(), 1);
  EXPECT_EQ(attempt.runtime().device(), "cpu");
  EXPECT_EQ(attempt.runtime().blas(), "fake-blas 1.0");
  EXPECT_EQ(attempt.runtime().blas_threads(), 3);
}

}  // namespace
}  // namespace ltsweep::testing
