// method: bayes end to end: a real coordinator and worker daemons on
// loopback running the fake trainer. Several workers asking at once end with
// exactly run_cap trials, all different configs; one worker with the same
// seed makes the same trials twice.
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using namespace std::chrono_literals;

std::string BayesSpec(int run_cap, int seed) {
  return fmt::format(
      "name: bayes\nmethod: bayes\nrun_cap: {}\nseed: {}\nconfig:\n  train: {{epochs: 2}}\nparameters:\n"
      "  train.lr: {{distribution: log_uniform_values, min: 0.001, max: 1.0}}\n"
      "  method.loss: {{values: [ce, ldam, focal]}}\n",
      run_cap, seed);
}

// The config hashes of the sweep's trials, by trial id (the order made).
std::vector<std::string> Hashes(Cluster& cluster, int64_t sweep) {
  std::vector<std::string> out;
  for (const auto& t : cluster.Trials(sweep)) out.push_back(t.config_hash());
  return out;
}

TEST(BayesClusterTest, ThreeWorkersAskingAtOnceEndWithRunCapDistinctTrials) {
  TempDir dir;
  Cluster cluster(dir);
  cluster.StartCoordinator();
  for (const char* id : {"wa", "wb", "wc"}) cluster.StartWorker(WorkerSpec{id, 2, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}}, {}});
  const int64_t sweep = cluster.Submit(BayesSpec(14, 3));
  ASSERT_TRUE(cluster.WaitFinished(sweep, 60s)) << cluster.CoordinatorLog();
  const v1::SweepInfo info = cluster.Sweep(sweep);
  EXPECT_EQ(info.state(), "done");
  EXPECT_EQ(info.run_cap(), 14);
  EXPECT_EQ(info.trials_total(), 14);
  EXPECT_EQ(info.trials_succeeded(), 14);
  const std::vector<std::string> hashes = Hashes(cluster, sweep);
  EXPECT_EQ(std::set<std::string>(hashes.begin(), hashes.end()).size(), 14u) << "a config ran twice";
  std::set<std::string> workers;
  for (const auto& t : cluster.Trials(sweep)) {
    EXPECT_EQ(t.state(), "succeeded");
    workers.insert(t.worker_id());
  }
  EXPECT_GE(workers.size(), 2u) << "the trials did not spread over the workers";
}

TEST(BayesClusterTest, OneWorkerAndTheSameSeedMakeTheSameTrials) {
  std::vector<std::vector<std::string>> runs;
  for (int run = 0; run < 2; ++run) {
    TempDir dir;
    Cluster cluster(dir);
    cluster.StartCoordinator();
    cluster.StartWorker(WorkerSpec{"solo", 1, {{"LTSWEEP_FAKE_EPOCH_MS", "10"}}, {}});
    const int64_t sweep = cluster.Submit(BayesSpec(6, 11));
    ASSERT_TRUE(cluster.WaitFinished(sweep, 60s)) << cluster.CoordinatorLog();
    runs.push_back(Hashes(cluster, sweep));
  }
  ASSERT_EQ(runs[0].size(), 6u);
  EXPECT_EQ(runs[0], runs[1]);
}

}  // namespace
}  // namespace ltsweep::testing
