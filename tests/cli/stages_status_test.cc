// A staged sweep on real daemons: `ltsweep coordinator` and `ltsweep worker`
// processes with the fake trainer's deterministic curves
// (LTSWEEP_FAKE_SCHEME). The coordinator is SIGKILLed while a later stage
// runs and restarted on the same database: the sweep carries on and ends
// done, and `ltsweep status` shows each stage and what it found.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/cli/cli_process.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

const char kScheme[] = R"(name: daemon_scheme
config:
  data: {dataset: synthetic}
  train: {epochs: 10}
stages:
  - name: range_test
    find: lr_bounds
    config:
      train:
        epochs: 16
        lr_schedule: {type: range_test, min_lr: 0.001, max_lr: 1.0}
  - name: plateau
    find: plateau
    config:
      train.lr: ${range_test.max_lr}
      train.lr_schedule.type: constant
  - name: grid
    config:
      train.lr_schedule: {type: step, milestones: "${plateau.milestones}"}
      method.drw_epoch: ${plateau.drw_epoch}
    parameters:
      method.loss: {values: [ce, ldam]}
)";

TEST(StagesDaemonTest, CoordinatorKilledMidSchemeCarriesOnAndStatusShowsTheStages) {
  TempDir dir;
  Cluster cluster(dir);
  cluster.StartCoordinator("2s");
  cluster.StartWorker({"w1", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "100"}, {"LTSWEEP_FAKE_SCHEME", "1"}}, {}});
  const std::string spec = dir.File("scheme.yaml");
  WriteFile(spec, kScheme);
  CliResult r = RunCli(LTSWEEP_CLI_PATH, "submit " + ShellQuote(spec) + " --coordinator " + cluster.address());
  ASSERT_EQ(r.code, 0) << r.err;

  // Wait for stage 2 to run, then SIGKILL the coordinator and restart it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto stage_state = [&](int i) {
    v1::SweepInfo info = cluster.Sweep(1);
    return info.stages_size() > i ? info.stages(i).state() : std::string();
  };
  while (stage_state(1) != "running" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(stage_state(1), "running");
  cluster.KillCoordinator();
  cluster.StartCoordinator("2s");
  ASSERT_TRUE(cluster.WaitFinished(1, std::chrono::seconds(90))) << cluster.CoordinatorLog();
  v1::SweepInfo info = cluster.Sweep(1);
  EXPECT_EQ(info.state(), "done");
  ASSERT_EQ(info.stages_size(), 3);
  EXPECT_EQ(info.stages(2).state(), "done");
  EXPECT_EQ(info.stages(2).trials(), 2);
  EXPECT_EQ(info.trials_total(), 4);

  r = RunCli(LTSWEEP_CLI_PATH, "status 1 --coordinator " + cluster.address());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("stage 1 range_test (find lr_bounds): done, 1 trial(s); found {\"max_lr\":"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("stage 2 plateau (find plateau): done, 1 trial(s); found {\"drw_epoch\":"), std::string::npos)
      << r.out;
  // Through real daemons too the rule read the fake trainer's per-step curve from the done event.
  EXPECT_NE(r.out.find("rule: per-step training-batch accuracy, 320 points, moving average over 17: smoothed accuracy"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("stage 3 grid: done, 2 trial(s)"), std::string::npos) << r.out;
  // One coordinator log line per stage advanced, across both runs.
  EXPECT_NE(cluster.CoordinatorLog().find("stage 1 (range_test) done, found"), std::string::npos);
}

}  // namespace
}  // namespace ltsweep::testing
