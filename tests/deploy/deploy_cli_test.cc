// The daemon flags the deployment files rely on, through the real `ltsweep`
// binary: `ltsweep worker --exit-when-idle` (a worker process runs a sweep
// against a coordinator process, then exits by itself with status 0, holding
// no lease) and `ltsweep coordinator --health-listen` (its probe port
// answers health checks in plain text); both documented in --help; a bad
// duration is a usage error naming the flag.
#include <sys/wait.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/cli/cli_process.h"
#include "tests/coordinator/auth_test_util.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::seconds;

TEST(DeployCliTest, HelpDocumentsTheFlags) {
  CliResult worker = RunCli(LTSWEEP_CLI_PATH, "worker --help");
  EXPECT_EQ(worker.code, 0);
  EXPECT_NE(worker.out.find("--exit-when-idle"), std::string::npos) << worker.out;
  EXPECT_NE(worker.out.find("--exit-when-idle 5m   (in a batch job)"), std::string::npos) << worker.out;
  CliResult coordinator = RunCli(LTSWEEP_CLI_PATH, "coordinator --help");
  EXPECT_EQ(coordinator.code, 0);
  EXPECT_NE(coordinator.out.find("--health-listen"), std::string::npos) << coordinator.out;
}

TEST(DeployCliTest, ABadIdleDurationIsAUsageError) {
  CliResult r = RunCli(LTSWEEP_CLI_PATH, "worker --coordinator 127.0.0.1:1 --exit-when-idle 5x");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--exit-when-idle"), std::string::npos) << r.err;
}

TEST(DeployCliTest, AWorkerProcessRunsTheSweepThenExitsWithStatusZero) {
  TempDir dir;
  Cluster cluster(dir);
  cluster.StartCoordinator("5s");
  const int64_t sweep = cluster.Submit("name: idle\nconfig:\n  train: {epochs: 3}\nseeds: [0, 1, 2, 3]\n");
  Process& worker = cluster.StartWorker(
      {"idle", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "50"}}, {"--exit-when-idle", "1500ms"}});
  const int status = worker.Wait(seconds(45));
  ASSERT_NE(status, -1) << "the worker did not exit by itself\n" << worker.log();
  ASSERT_TRUE(WIFEXITED(status)) << worker.log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << worker.log();
  EXPECT_NE(worker.log().find("with no lease (--exit-when-idle 1.5 s): exiting"), std::string::npos) << worker.log();
  for (const auto& t : cluster.Trials(sweep)) EXPECT_EQ(t.state(), "succeeded") << "trial " << t.trial_id();
  EXPECT_EQ(cluster.Sweep(sweep).state(), "done");
}

TEST(DeployCliTest, TheCoordinatorsProbePortAnswersHealthChecks) {
  TempDir dir;
  Process coordinator({LTSWEEP_CLI_PATH, "coordinator", "--db", dir.File("sweeps.db"), "--listen", "127.0.0.1:0",
                       "--health-listen", "127.0.0.1:0"},
                      {}, dir.File("coordinator.log"));
  ASSERT_TRUE(WaitUntil(
      [&] { return coordinator.log().find("health checks (grpc.health.v1 only, plain text)") != std::string::npos; },
      seconds(20)))
      << coordinator.log();
  const std::string log = coordinator.log();
  const size_t at = log.find("(port ", log.find("health checks"));
  ASSERT_NE(at, std::string::npos) << log;
  const int port = std::stoi(log.substr(at + 6));
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  EXPECT_TRUE(CallMethod(channel, "/grpc.health.v1.Health/Check").ok()) << log;
  coordinator.Signal(SIGTERM);
  EXPECT_NE(coordinator.Wait(seconds(20)), -1);
}

}  // namespace
}  // namespace ltsweep::testing
