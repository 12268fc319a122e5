// The client commands of `ltsweep` (submit, watch, status, workers, results
// --coordinator, trial, cancel) against real `ltsweep coordinator` and
// `ltsweep worker` processes on loopback with the fake trainer, and their
// error paths: unreachable coordinator, unknown sweep, bad spec, bad flags.
#include <algorithm>
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_process.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

std::string Spec(const TempDir& dir, const std::string& name, int epochs) {
  const std::string path = dir.File(name + ".yaml");
  WriteFile(path, "name: " + name + "\nconfig:\n  train: {epochs: " + std::to_string(epochs) +
                      "}\nseeds: [0, 1]\nparameters:\n  train.lr: {values: [0.1, 0.05]}\n");
  return path;
}

class ClientCliTest : public ::testing::Test {
 protected:
  CliResult Cli(const std::string& args) { return RunCli(LTSWEEP_CLI_PATH, args); }
  std::string At() const { return " --coordinator " + cluster_.address(); }

  TempDir dir_;
  Cluster cluster_{dir_};
};

TEST_F(ClientCliTest, SubmitWatchStatusResultsCancel) {
  cluster_.StartCoordinator("5s");
  cluster_.StartWorker({"w1", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "30"}}, {}});

  CliResult r = Cli("submit " + ShellQuote(Spec(dir_, "small", 3)) + At());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "sweep 1: 4 trials (4 queued, 0 reused)\n");

  r = Cli("watch 1" + At());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("sweep 1 (small): 4/4 done"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << "watch draws on stderr only";

  r = Cli("status" + At());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sweep 1 (small): 4/4 done, 0 running, 0 queued, 0 failed - done"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("w1 on "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 slot(s)"), std::string::npos) << r.out;

  r = Cli("workers --format csv" + At());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("w1,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",2,-,alive,"), std::string::npos) << r.out;

  // The coordinator's answers make the same table as the database file.
  CliResult remote = Cli("results 1 --format csv --columns per_class" + At());
  ASSERT_EQ(remote.code, 0) << remote.err;
  CliResult local = Cli("results 1 --format csv --columns per_class --db " + ShellQuote(cluster_.db_path()));
  ASSERT_EQ(local.code, 0) << local.err;
  EXPECT_EQ(remote.out, local.out);
  EXPECT_NE(remote.out.find("0.05"), std::string::npos) << remote.out;

  r = Cli("trial 2 --format json" + At());
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json trial = nlohmann::json::parse(r.out);
  EXPECT_EQ(trial["trial_id"], 2);
  EXPECT_EQ(trial["state"], "succeeded");
  EXPECT_EQ(trial["metrics"].size(), 3u) << r.out;
  EXPECT_EQ(trial["attempt_history"].size(), 1u) << r.out;

  r = Cli("report 1 -o " + ShellQuote(dir_.File("r.html")) + At());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(ReadFile(dir_.File("r.html")).find("<svg"), std::string::npos);

  // A long sweep, cancelled while it runs.
  r = Cli("submit -q " + ShellQuote(Spec(dir_, "long", 2000)) + At());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "2\n");
  ASSERT_TRUE(WaitUntil([&] { return cluster_.Sweep(2).trials_running() > 0; }, std::chrono::seconds(10)));
  r = Cli("cancel 2" + At());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sweep 2 cancelled: 4 trial(s)"), std::string::npos) << r.out;
  r = Cli("watch 2" + At());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("4 cancelled"), std::string::npos) << r.err;
}

TEST_F(ClientCliTest, ErrorPaths) {
  // Nobody listens on port 1.
  CliResult r = Cli("status --coordinator 127.0.0.1:1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("ltsweep: error: cannot reach the coordinator at 127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = RunCli(LTSWEEP_CLI_PATH, "workers", {{"LTSWEEP_COORDINATOR", "127.0.0.1:1"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot reach the coordinator at 127.0.0.1:1"), std::string::npos) << r.err;

  cluster_.StartCoordinator("5s");
  for (const char* cmd : {"watch 99", "cancel 99", "status 99", "results 99", "trial 99"}) {
    r = Cli(cmd + At());
    EXPECT_EQ(r.code, 2) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("99"), std::string::npos) << cmd << ": " << r.err;
  }

  WriteFile(dir_.File("bad.yaml"), "name: bad\nconfig:\n  train: {epochs: -3}\n");
  r = Cli("submit " + ShellQuote(dir_.File("bad.yaml")) + At());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.yaml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("train.epochs"), std::string::npos) << r.err;

  r = Cli("submit" + At());
  EXPECT_EQ(r.code, 2);
  r = Cli("status --bogus" + At());
  EXPECT_EQ(r.code, 2);
  r = Cli("watch notanumber" + At());
  EXPECT_EQ(r.code, 2);
}

TEST(CliHelpTest, EveryCommandHasAnExample) {
  for (const char* cmd : {"run", "coordinator", "worker", "submit", "cancel", "workers", "status", "watch", "results",
                          "best", "trial", "curves", "report", "sql", "validate", "expand"}) {
    CliResult r = RunCli(LTSWEEP_CLI_PATH, std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Example:\n  ltsweep " + std::string(cmd)), std::string::npos) << cmd << ":\n" << r.out;
  }
}

}  // namespace
}  // namespace ltsweep::testing
