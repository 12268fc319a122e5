// `ltsweep logs` end to end: a real coordinator and worker on loopback
// running the fake trainer, the real `ltsweep` binary as a process. -f sees
// lines while the trial runs and the whole tail after it ends, and loses
// no line while the coordinator is killed and restarted; a trainer
// flooding stderr leaves a log of at most 1 MiB + one chunk that says what
// was dropped; bytes that are not UTF-8 come back as U+FFFD; the log reads
// the same from the coordinator and from the database file (also the one
// `ltsweep run` writes); bad requests are refused clearly.
#include <sqlite3.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/trial_logs.h"
#include "tests/cli/cli_process.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::seconds;

int64_t QueryInt(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t value = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

std::string OneTrialSpec(int epochs) {
  return "name: logs\nconfig:\n  train: {epochs: " + std::to_string(epochs) + "}\nseeds: [0]\n";
}

// The lines the fake trainer prints with LTSWEEP_FAKE_STDERR_LINES=2.
std::string ExpectedLines(int epochs) {
  std::string text;
  for (int e = 0; e < epochs; ++e) {
    for (int k = 1; k <= 2; ++k) text += "fake trainer: epoch " + std::to_string(e) + " line " + std::to_string(k) + " of 2\n";
  }
  return text;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class LogsCliTest : public ::testing::Test {
 protected:
  CliResult Cli(const std::string& args) { return RunCli(LTSWEEP_CLI_PATH, args); }
  std::string At() const { return " --coordinator " + cluster_.address(); }
  std::string TrialState(int64_t sweep) {
    auto trials = cluster_.Trials(sweep);
    return trials.empty() ? "" : trials[0].state();
  }

  TempDir dir_;
  Cluster cluster_{dir_};
};

TEST_F(LogsCliTest, FollowSeesLinesWhileTheTrialRunsAndTheWholeTailAfterItEnds) {
  const int kEpochs = 12;
  cluster_.StartCoordinator("5s");
  // `logs -f` started before the trial exists in a lease: it waits for it.
  cluster_.Submit(OneTrialSpec(kEpochs));
  Process follow({LTSWEEP_CLI_PATH, "logs", "1", "-f", "--coordinator", cluster_.address()}, {},
                 dir_.File("follow.log"));
  cluster_.StartWorker({"w1", 1,
                        {{"LTSWEEP_FAKE_EPOCH_MS", "400"},
                         {"LTSWEEP_FAKE_STDERR_LINES", "2"},
                         {"LTSWEEP_FAKE_BAD_UTF8_STDERR", "1"}},
                        {}});

  ASSERT_TRUE(WaitUntil([&] { return follow.log().find("epoch 0 line 2 of 2\n") != std::string::npos; }, seconds(20)))
      << follow.log();
  // Seen while the trainer was still at work.
  EXPECT_EQ(follow.log().find("epoch " + std::to_string(kEpochs - 1) + " line"), std::string::npos) << follow.log();
  EXPECT_EQ(TrialState(1), "running");

  const int status = follow.Wait(std::chrono::milliseconds(30'000));
  ASSERT_TRUE(WIFEXITED(status)) << follow.log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << follow.log();
  EXPECT_EQ(TrialState(1), "succeeded");
  const std::string followed = follow.log();
  EXPECT_NE(followed.find(ExpectedLines(kEpochs)), std::string::npos) << "every line once, in order:\n" << followed;
  EXPECT_EQ(Count(followed, "line 1 of 2"), static_cast<size_t>(kEpochs)) << followed;
  EXPECT_NE(followed.find("trial 1 attempt 1 ended: succeeded"), std::string::npos) << followed;

  // Read again at once: the same text; the trainer's bad bytes as U+FFFD.
  CliResult r = Cli("logs 1" + At());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find(ExpectedLines(kEpochs)), 0u) << r.out;
  EXPECT_TRUE(utf8::IsValid(r.out));
  EXPECT_NE(r.out.find("\xef\xbf\xbd"), std::string::npos);
  EXPECT_NE(r.out.find("fake trainer: stderr with invalid UTF-8 \xef\xbf\xbd"), std::string::npos);
  EXPECT_NE(followed.find(r.out), std::string::npos) << "-f printed the whole tail";
  CliResult local = Cli("logs 1 --attempt 1 --db " + ShellQuote(cluster_.db_path()));
  ASSERT_EQ(local.code, 0) << local.err;
  EXPECT_EQ(local.out, r.out);
}

TEST_F(LogsCliTest, NothingIsLostWhileTheCoordinatorIsDown) {
  const int kEpochs = 14;
  cluster_.StartCoordinator("5s");
  cluster_.StartWorker({"w1", 1, {{"LTSWEEP_FAKE_EPOCH_MS", "400"}, {"LTSWEEP_FAKE_STDERR_LINES", "2"}}, {}});
  cluster_.Submit(OneTrialSpec(kEpochs));
  Process follow({LTSWEEP_CLI_PATH, "logs", "1", "-f", "--coordinator", cluster_.address()}, {},
                 dir_.File("follow.log"));
  ASSERT_TRUE(WaitUntil([&] { return follow.log().find("epoch 1 line 2 of 2\n") != std::string::npos; }, seconds(20)))
      << follow.log();
  // Down for a few epochs: the trainer goes on printing; the worker keeps
  // its reports and its log, and the follower waits.
  cluster_.KillCoordinator();
  std::this_thread::sleep_for(seconds(2));
  cluster_.StartCoordinator("5s");

  const int status = follow.Wait(std::chrono::milliseconds(40'000));
  ASSERT_TRUE(WIFEXITED(status)) << follow.log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << follow.log();
  const std::string followed = follow.log();
  EXPECT_NE(followed.find("trying again"), std::string::npos) << "the outage was noticed:\n" << followed;
  std::string lines;  // the log's lines, without the follower's notes (stderr, in the same file)
  std::istringstream in(followed);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("fake trainer: ", 0) == 0) lines += line + "\n";
  }
  EXPECT_EQ(lines, ExpectedLines(kEpochs)) << "every line once, in order:\n" << followed;
  CliResult r = Cli("logs 1" + At());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, ExpectedLines(kEpochs));
}

TEST_F(LogsCliTest, AFloodingTrainerLeavesABoundedLogThatSaysWhatWasDropped) {
  const int64_t kFlood = int64_t{6} << 20;
  cluster_.StartCoordinator("5s");
  cluster_.StartWorker({"w1", 1, {{"LTSWEEP_FAKE_EPOCH_MS", "20"},
                                  {"LTSWEEP_FAKE_STDERR_FLOOD_BYTES", std::to_string(kFlood)}},
                        {}});
  cluster_.Submit(OneTrialSpec(2));
  ASSERT_TRUE(cluster_.WaitFinished(1, std::chrono::milliseconds(60'000)));
  EXPECT_EQ(TrialState(1), "succeeded");

  CliResult r = Cli("logs 1" + At());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_LE(static_cast<int64_t>(r.out.size()), kTrialLogKeepBytes + kTrialLogChunkBytes);
  EXPECT_GE(static_cast<int64_t>(r.out.size()), kTrialLogKeepBytes - 200);
  ASSERT_GE(r.out.size(), 25u);
  EXPECT_EQ(r.out.substr(r.out.size() - 25), "fake trainer: flood done\n");
  EXPECT_NE(r.err.find("MiB of trial 1 attempt 1 dropped here (only the last 1.0 MiB of each attempt is kept)"),
            std::string::npos)
      << r.err;

  const std::string db = cluster_.db_path();
  EXPECT_LE(QueryInt(db, "SELECT sum(bytes) FROM trial_log_chunks"), kTrialLogKeepBytes + kTrialLogChunkBytes);
  EXPECT_GE(QueryInt(db, "SELECT end_offset FROM trial_logs"), kFlood);
}

TEST_F(LogsCliTest, LocalRunLogsAndBadRequests) {
  const std::string spec = dir_.File("spec.yaml");
  WriteFile(spec, "name: local\nconfig:\n  data: {dataset: synthetic}\n  train: {epochs: 3}\nseeds: [0]\n");
  const std::string db = dir_.File("results.db");
  CliResult run = RunCli(LTSWEEP_CLI_PATH,
                         "run " + ShellQuote(spec) + " --trainer " + ShellQuote(LTSWEEP_FAKE_TRAIN_PATH) + " --db " +
                             ShellQuote(db) + " --work-dir " + ShellQuote(dir_.File("work")) + " --threads 1",
                         {{"LTSWEEP_FAKE_EPOCH_MS", "20"}, {"LTSWEEP_FAKE_STDERR_LINES", "2"}});
  ASSERT_EQ(run.code, 0) << run.err;
  CliResult r = Cli("logs 1 --db " + ShellQuote(db));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, ExpectedLines(3));
  r = RunCli(LTSWEEP_CLI_PATH, "logs 1 -f", {{"LTSWEEP_DB", db}});  // ended: -f returns at once
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, ExpectedLines(3));

  r = Cli("logs 1 --attempt 2 --db " + ShellQuote(db));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("trial 1 has no attempt 2 (attempts 1..1)"), std::string::npos) << r.err;
  r = Cli("logs 99 --db " + ShellQuote(db));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("99"), std::string::npos) << r.err;
  r = Cli("logs 1 --db " + ShellQuote(db) + " --coordinator 127.0.0.1:1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("not both"), std::string::npos) << r.err;
  r = Cli("logs 1 --db " + ShellQuote(dir_.File("missing.db")));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  r = Cli("logs 1 --coordinator 127.0.0.1:1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot reach the coordinator at 127.0.0.1:1"), std::string::npos) << r.err;
  r = Cli("logs --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("ltsweep logs 12 -f --coordinator head:50051"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ltsweep::testing
