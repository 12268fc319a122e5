// `ltsweep run` (local mode) as a real process with the fake trainer: exit
// codes, the results table on stdout, the database, reuse on a second run,
// the HTML report, Ctrl-C and resume; and one real `ltsweep-train` run on
// Fashion-MNIST when that trainer is built and the data set is installed.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/cli/cli_process.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

// One integer from a query on the database.
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

// Four trials of the fake trainer: two learning rates x two seeds.
std::string FakeSpec(const TempDir& dir, int epochs) {
  const std::string path = dir.File("spec.yaml");
  WriteFile(path, "name: local-fake\nconfig:\n  data: {dataset: synthetic}\n  train: {epochs: " +
                      std::to_string(epochs) + "}\nseeds: [0, 1]\nparameters:\n  train.lr: {values: [0.1, 0.05]}\n");
  return path;
}

class RunCliTest : public ::testing::Test {
 protected:
  CliResult Run(const std::string& args, std::map<std::string, std::string> env = {}) {
    env.emplace("LTSWEEP_FAKE_EPOCH_MS", "20");
    return RunCli(LTSWEEP_CLI_PATH, args, env, dir_.path().string());
  }
  std::string Common() const {
    return " --trainer " + ShellQuote(LTSWEEP_FAKE_TRAIN_PATH) + " --db " + ShellQuote(db_) + " --work-dir " +
           ShellQuote(dir_.File("work")) + " --threads 1";
  }

  TempDir dir_;
  std::string db_ = dir_.File("results.db");
};

TEST_F(RunCliTest, RunsSweepToTheEndThenReusesEveryTrial) {
  const std::string spec = FakeSpec(dir_, 3);
  const std::string report = dir_.File("report.html");
  CliResult r = Run("run " + ShellQuote(spec) + " --workers 2 --report " + ShellQuote(report) + Common());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // The results table (grouped by the learning rate, mean over two seeds)
  // and the report path on stdout; progress on stderr.
  EXPECT_NE(r.out.find("train.lr"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.05"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("report: " + report), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ETA"), std::string::npos) << "progress belongs on stderr";
  EXPECT_NE(r.err.find("sweep 1: 4 trials (4 to run, 0 reused"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("4/4 done"), std::string::npos) << r.err;

  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM trials WHERE sweep_id = 1 AND status = 'succeeded'"), 4);
  // Epochs are numbered from 0.
  EXPECT_EQ(QueryInt(db_, "SELECT count(DISTINCT trial_id) FROM metrics WHERE name = 'val_error' AND epoch = 2"), 4);
  const int64_t attempts = QueryInt(db_, "SELECT count(*) FROM attempts");
  EXPECT_EQ(attempts, 4);

  const std::string html = ReadFile(report);
  EXPECT_NE(html.find("<html"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("train.lr"), std::string::npos);

  // The same spec again: a new sweep whose trials all reuse the results,
  // with no trainer run (no new attempt) and the same table.
  CliResult again = Run("run " + ShellQuote(spec) + Common());
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("sweep 2: 4 trials (0 to run, 4 reused"), std::string::npos) << again.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM trials WHERE sweep_id = 2 AND status = 'linked'"), 4);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM attempts"), attempts);
  EXPECT_EQ(again.out, r.out.substr(0, r.out.find("\nreport:"))) << "reused results give the same table";
}

TEST_F(RunCliTest, BayesSweepRunsRunCapTrialsMadeWhileItRuns) {
  const std::string spec = dir_.File("bayes.yaml");
  WriteFile(spec,
            "name: local-bayes\nmethod: bayes\nrun_cap: 6\nseed: 2\nconfig:\n  data: {dataset: synthetic}\n"
            "  train: {epochs: 2}\nparameters:\n"
            "  train.lr: {distribution: log_uniform_values, min: 0.001, max: 1.0}\n"
            "  method.loss: {values: [ce, ldam]}\n");
  CliResult r = Run("run " + ShellQuote(spec) + " --workers 2" + Common());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("sweep 1: bayes search, up to 6 trials"), std::string::npos) << r.err;
  // Progress says how many of run_cap exist; the run waits for all six.
  EXPECT_NE(r.err.find("6/6 done, 6/6 created (bayes)"), std::string::npos) << r.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM trials WHERE status = 'succeeded'"), 6);
  EXPECT_EQ(QueryInt(db_, "SELECT count(DISTINCT config_hash) FROM trials"), 6);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM trial_params"), 6);
}

TEST_F(RunCliTest, FailedTrialMakesExitOne) {
  CliResult r = Run("run " + ShellQuote(FakeSpec(dir_, 2)) + " --workers 2" + Common(),
                    {{"LTSWEEP_FAKE_EXIT", "2"}, {"LTSWEEP_FAKE_ONLY_SEED", "1"}});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("2 of 4 trials failed"), std::string::npos) << r.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM trials WHERE status = 'failed'"), 2);
  // The seed-0 trials still make a table.
  EXPECT_NE(r.out.find("train.lr"), std::string::npos) << r.out;
}

TEST_F(RunCliTest, BadInputExitsTwo) {
  WriteFile(dir_.File("bad.yaml"), "name: bad\nconfig:\n  train: {epochz: 3}\n");
  CliResult r = Run("run " + ShellQuote(dir_.File("bad.yaml")) + Common());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.yaml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("epochz"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(db_)) << "nothing is created for an invalid spec";

  r = Run("run " + ShellQuote(dir_.File("missing.yaml")) + Common());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing.yaml: cannot read"), std::string::npos) << r.err;

  r = Run("run " + ShellQuote(FakeSpec(dir_, 1)) + " --workers 0" + Common());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--workers"), std::string::npos) << r.err;
  r = Run("run " + ShellQuote(FakeSpec(dir_, 1)) + " --no-such-flag");
  EXPECT_EQ(r.code, 2);
  r = Run("run");
  EXPECT_EQ(r.code, 2);
}

TEST_F(RunCliTest, InterruptThenResume) {
  const std::string spec = FakeSpec(dir_, 40);
  std::vector<std::string> argv = {LTSWEEP_CLI_PATH, "run",        spec,           "--workers", "2",
                                   "--trainer",      LTSWEEP_FAKE_TRAIN_PATH,   "--db",         db_,
                                   "--work-dir",     dir_.File("work"), "--threads", "1"};
  Process run(argv, {{"LTSWEEP_FAKE_EPOCH_MS", "50"}}, dir_.File("run.log"));
  // Interrupt once some epochs have reached the database.
  ASSERT_TRUE(WaitUntil([&] { return QueryInt(db_, "SELECT count(*) FROM metrics WHERE epoch >= 3") > 0; },
                        std::chrono::seconds(20)))
      << run.log();
  run.Signal(SIGINT);
  const int status = run.Wait(std::chrono::seconds(20));
  ASSERT_TRUE(WIFEXITED(status)) << run.log();
  EXPECT_EQ(WEXITSTATUS(status), 1) << run.log();
  EXPECT_NE(run.log().find("run the same command again to resume"), std::string::npos) << run.log();
  EXPECT_LT(QueryInt(db_, "SELECT count(*) FROM trials WHERE status = 'succeeded'"), 4);

  CliResult r = Run("run " + ShellQuote(spec) + " --workers 2" + Common());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming sweep 1"), std::string::npos) << r.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM sweeps"), 1);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM trials WHERE status = 'succeeded'"), 4);
  EXPECT_EQ(QueryInt(db_, "SELECT count(DISTINCT trial_id) FROM metrics WHERE name = 'val_error' AND epoch = 39"), 4);
}

// Ctrl-C in a terminal sends SIGINT to the whole foreground process group,
// trainers included. Trainers run in their own process groups, so only
// `ltsweep run` gets it: it stops its worker slots (SIGTERM -> checkpoint ->
// exit 4), the attempts end interrupted without using up a try, and a rerun
// resumes them from their checkpoints.
TEST_F(RunCliTest, CtrlCToTheWholeProcessGroupInterruptsWithoutUsingATry) {
  const std::string spec = FakeSpec(dir_, 40);
  // setsid: `ltsweep run` leads a process group of its own, like a shell job.
  std::vector<std::string> argv = {"/usr/bin/setsid", LTSWEEP_CLI_PATH, "run",        spec,
                                   "--workers",       "2",              "--trainer",  LTSWEEP_FAKE_TRAIN_PATH,
                                   "--db",            db_,              "--work-dir", dir_.File("work"),
                                   "--threads",       "1"};
  Process run(argv, {{"LTSWEEP_FAKE_EPOCH_MS", "50"}}, dir_.File("run.log"));
  ASSERT_TRUE(WaitUntil([&] { return QueryInt(db_, "SELECT count(*) FROM metrics WHERE epoch >= 3") > 0; },
                        std::chrono::seconds(20)))
      << run.log();
  ASSERT_EQ(getpgid(run.pid()), run.pid()) << "setsid made it a group leader";
  kill(-run.pid(), SIGINT);  // what the terminal does
  const int status = run.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(WIFEXITED(status)) << run.log();
  EXPECT_EQ(WEXITSTATUS(status), 1) << run.log();
  EXPECT_NE(run.log().find("run the same command again to resume"), std::string::npos) << run.log();
  EXPECT_GE(QueryInt(db_, "SELECT count(*) FROM attempts WHERE status = 'interrupted'"), 1)
      << ReadFile(dir_.File("work/ltsweep-run.log"));
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM attempts WHERE status = 'failed'"), 0)
      << ReadFile(dir_.File("work/ltsweep-run.log"));
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM attempts WHERE error LIKE '%signal 2%'"), 0);

  CliResult r = Run("run " + ShellQuote(spec) + " --workers 2" + Common());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming sweep 1"), std::string::npos) << r.err;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM trials WHERE status = 'succeeded'"), 4);
  // The resumed attempts started after their last checkpoint.
  EXPECT_GE(QueryInt(db_, "SELECT count(*) FROM trial_payloads WHERE kind = 'start' AND attempt > 1 AND "
                          "json_extract(json, '$.first_epoch') > 0"),
            1);
}

#ifdef LTSWEEP_TRAIN_PATH
TEST(RunCliRealTrainerTest, OneEpochOnFashionMnist) {
  const char* kData = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(std::string(kData) + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << kData << " is absent (Debian package dataset-fashion-mnist)";
  }
  TempDir dir;
  WriteFile(dir.File("real.yaml"),
            "name: real-1-epoch\nconfig:\n  data: {dataset: fashion_mnist, imbalance: {type: exp, ratio: 10}, "
            "limit_train: 512, limit_test: 256}\n  model: {arch: resnet8}\n  train: {epochs: 1, batch_size: 64}\n"
            "seeds: [0]\n");
  CliResult r = RunCli(LTSWEEP_CLI_PATH,
                       "run real.yaml --trainer " + ShellQuote(LTSWEEP_TRAIN_PATH) +
                           " --db real.db --work-dir work --threads 2 --report real.html",
                       {}, dir.path().string());
  ASSERT_EQ(r.code, 0) << r.out << r.err << ReadFile(dir.File("work/ltsweep-run.log"));
  EXPECT_NE(r.out.find("val_error"), std::string::npos) << r.out;
  const std::string db = dir.File("real.db");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM trials WHERE status = 'succeeded'"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM metrics WHERE name = 'val_error' AND epoch = 0"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM per_class_metrics WHERE epoch = 0 AND class_index = 9"), 1);
  EXPECT_NE(ReadFile(dir.File("real.html")).find("<svg"), std::string::npos);
}
#endif

}  // namespace
}  // namespace ltsweep::testing
