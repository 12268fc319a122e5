// /metrics end to end: a real coordinator (ltsweep-daemons coordinator
// --http) on a real SQLite file and a real worker (ltsweep-daemons worker
// --http) running the fake trainer through a small sweep with a crash that
// is retried and a trial that fails for good. Both pages are scraped over
// HTTP on loopback; their values are checked against the database and the
// fake trainer's known behaviour, and both pages against promtool.
#include <httplib.h>

#include <map>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/coordinator/cluster.h"
#include "tests/metrics/promtool_check.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// GET http://127.0.0.1:port/path: {status, body, content type}.
struct Page {
  int status = 0;
  std::string body;
  std::string content_type;
};

Page Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  auto res = client.Get(path);
  if (!res) return {};
  return {res->status, res->body, res->get_header_value("Content-Type")};
}

// Sample lines of an exposition, "name{labels}" -> value.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

double At(const std::map<std::string, double>& samples, const std::string& key) {
  auto it = samples.find(key);
  if (it == samples.end()) {
    ADD_FAILURE() << "no sample " << key;
    return -1;
  }
  return it->second;
}

int ReadPort(const std::string& path) {
  if (!WaitUntil([&] { return std::filesystem::exists(path); }, 10s)) return 0;
  return std::stoi(ReadFile(path));
}

void ExpectPromtoolAccepts(const std::string& text, const std::string& what) {
  const auto verdict = PromtoolCheckMetrics(text);
  if (!verdict) {
    std::cerr << "promtool (Debian package prometheus) is not installed: " << what << " not checked with it\n";
    return;
  }
  EXPECT_TRUE(verdict->ok) << what << ": " << verdict->output;
}

TEST(MetricsEndToEndTest, CoordinatorAndWorkerPagesMatchTheSweep) {
  TempDir dir;
  Cluster cluster(dir);
  cluster.StartCoordinator("2s", {"--http", "127.0.0.1:0", "--http-port-file", dir.File("http-port")});
  const int coordinator_http = ReadPort(dir.File("http-port"));
  ASSERT_GT(coordinator_http, 0) << cluster.CoordinatorLog();

  // Seed 0: every first attempt crashes after epoch 1 and is retried from
  // its checkpoint (exit classes retry, then succeeded). Seed 1: exit 3
  // before training (class permanent, the trial fails).
  WorkerSpec spec{"w1", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}, {"LTSWEEP_FAKE_CRASH_EPOCH", "1"},
                            {"LTSWEEP_FAKE_EXIT", "3"}, {"LTSWEEP_FAKE_ONLY_SEED", "1"}},
                  {"--checkpoint-root", dir.File("ckpt"), "--http", "127.0.0.1:0", "--http-port-file",
                   dir.File("worker-http-port")}};
  cluster.StartWorker(spec);
  const int worker_http = ReadPort(dir.File("worker-http-port"));
  ASSERT_GT(worker_http, 0) << cluster.WorkerLog("w1");

  const int64_t sweep = cluster.Submit(
      "name: metrics\nconfig:\n  train: {epochs: 3}\nseeds: [0, 1]\nmax_attempts: 3\nparameters:\n"
      "  train.lr: {values: [0.1, 0.2]}\n");
  ASSERT_TRUE(cluster.WaitFinished(sweep, 60s)) << cluster.CoordinatorLog() << cluster.WorkerLog("w1");

  const Page coordinator = Get(coordinator_http, "/metrics");
  ASSERT_EQ(coordinator.status, 200) << coordinator.body;
  EXPECT_THAT(coordinator.content_type, HasSubstr("version=0.0.4"));
  const auto c = Samples(coordinator.body);

  StoreOptions read_only;
  read_only.read_only = true;
  auto store = Store::Open(cluster.db_path(), read_only);
  ASSERT_OK(store.status());
  auto sweeps = (*store)->ListSweeps();
  ASSERT_OK(sweeps.status());
  ASSERT_EQ(sweeps->size(), 1u);
  const TrialCounts& counts = sweeps->front().counts;
  EXPECT_EQ(counts.succeeded, 2);
  EXPECT_EQ(counts.failed, 2);
  for (auto [state, n] : std::map<std::string, int>{{"queued", counts.queued},       {"leased", counts.leased},
                                                    {"running", counts.running},     {"succeeded", counts.succeeded},
                                                    {"failed", counts.failed},       {"cancelled", counts.cancelled},
                                                    {"linked", counts.linked},       {"stopped", counts.stopped}}) {
    EXPECT_EQ(At(c, "ltsweep_trials{state=\"" + state + "\"}"), n) << state;
  }
  auto trials = (*store)->ListTrials(sweep);
  ASSERT_OK(trials.status());
  int attempts = 0;
  for (const TrialRecord& t : *trials) attempts += t.attempts;
  EXPECT_EQ(attempts, 6);  // 2 crashed + 2 resumed + 2 permanent

  EXPECT_EQ(At(c, "ltsweep_lease_duration_seconds_count{result=\"granted\"}"), attempts);
  EXPECT_GT(At(c, "ltsweep_rpc_duration_seconds_count{service=\"WorkerService\",method=\"Lease\",code=\"OK\"}"), 0);
  EXPECT_GT(At(c, "ltsweep_rpc_duration_seconds_count{service=\"ClientService\",method=\"SubmitSweep\",code=\"OK\"}"),
            0);
  EXPECT_GT(At(c, "ltsweep_metric_rows_ingested_total"), 0);
  EXPECT_EQ(At(c, "ltsweep_attempts_finished_total{outcome=\"succeeded\"}"), 2);
  EXPECT_EQ(At(c, "ltsweep_attempts_finished_total{outcome=\"failed_permanent\"}"), 2);
  EXPECT_EQ(At(c, "ltsweep_attempts_requeued_total{outcome=\"failed_retryable\"}"), 2);
  EXPECT_EQ(At(c, "ltsweep_leases_held"), 0);
  EXPECT_EQ(At(c, "ltsweep_workers{state=\"alive\"}"), 1);
  EXPECT_EQ(At(c, "ltsweep_workers{state=\"lost\"}"), 0);
  EXPECT_GT(At(c, "ltsweep_store_group_commit_size_count"), 0);
  EXPECT_EQ(At(c, "ltsweep_store_group_commit_size_count"), At(c, "ltsweep_store_write_transactions_total"));
  ExpectPromtoolAccepts(coordinator.body, "the coordinator's /metrics");

  const Page worker = Get(worker_http, "/metrics");
  ASSERT_EQ(worker.status, 200) << worker.body;
  const auto w = Samples(worker.body);
  EXPECT_EQ(At(w, "ltsweep_worker_attempts_started_total"), attempts);
  EXPECT_EQ(At(w, "ltsweep_worker_trainer_exits_total{class=\"succeeded\"}"), 2);
  EXPECT_EQ(At(w, "ltsweep_worker_trainer_exits_total{class=\"retry\"}"), 2);
  EXPECT_EQ(At(w, "ltsweep_worker_trainer_exits_total{class=\"permanent\"}"), 2);
  EXPECT_EQ(At(w, "ltsweep_worker_trainer_exits_total{class=\"retry_elsewhere\"}"), 0);
  EXPECT_EQ(At(w, "ltsweep_worker_slots{state=\"busy\"}"), 0);
  EXPECT_EQ(At(w, "ltsweep_worker_slots{state=\"idle\"}"), 2);
  EXPECT_EQ(At(w, "ltsweep_worker_outbox_batches"), 0);
  EXPECT_EQ(At(w, "ltsweep_worker_heartbeat_failures_total"), 0);
  ExpectPromtoolAccepts(worker.body, "the worker's /metrics");
  EXPECT_EQ(Get(worker_http, "/healthz").body, "ok\n");
}

TEST(MetricsEndToEndTest, WorkerRefusesPlainHttpOffLoopback) {
  TempDir dir;
  Process worker({LTSWEEP_DAEMONS_PATH, "worker", "--coordinator", "127.0.0.1:1", "--trainer",
                  LTSWEEP_FAKE_TRAIN_PATH, "--work-dir", dir.File("work"), "--http", "0.0.0.0:0"},
                 {}, dir.File("worker.log"));
  const int status = worker.Wait(10s);
  ASSERT_NE(status, -1) << "the worker kept running: " << worker.log();
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_THAT(worker.log(), HasSubstr("--http-insecure"));
}

}  // namespace
}  // namespace ltsweep::testing
