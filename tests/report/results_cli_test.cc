// End-to-end runs of the `ltsweep` binary's database commands (sql, results,
// best, trial, curves, report with --db) on a results database written by
// the real store: output, exit codes and error messages.
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/config_hash.h"
#include "store/store.h"
#include "tests/testing/test_util.h"

namespace ltsweep {
namespace {

using ltsweep::testing::TempDir;
using namespace std::chrono_literals;

struct RunResult {
  int rc = -1;
  std::string out, err;
};

class ResultsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = (ltsweep::testing::BinaryDir() / "cli" / "ltsweep").string();
    if (!std::filesystem::exists(binary_)) GTEST_SKIP() << binary_ << " is not built";
    const RunResult help = Run("--help");
    if (help.out.find("\n  sql ") == std::string::npos) {
      GTEST_SKIP() << "ltsweep has no sql command yet (cli/main.cc does not call RegisterResultsCommands)";
    }
    db_ = dir_.File("results.db");
    StoreOptions options;
    options.clock = &clock_;
    auto store = Store::Open(db_, options);
    ASSERT_OK(store);
    ASSERT_OK((*store)->RegisterWorker({"w1", "host", 1, {}}));
    NewSweep sweep;
    sweep.name = "cli-test";
    sweep.spec_yaml = "name: cli-test\n";
    for (const char* loss : {"ce", "ldam"}) {
      for (int seed = 0; seed < 2; ++seed) {
        nlohmann::json c = {{"method", {{"loss", loss}}}, {"train", {{"seed", seed}}}};
        sweep.trials.push_back({ResolvedConfigHash(c), c.dump()});
      }
    }
    nlohmann::json bad = {{"method", {{"loss", "focal"}}}, {"train", {{"seed", 0}}}};
    sweep.trials.push_back({ResolvedConfigHash(bad), bad.dump()});
    ASSERT_OK((*store)->CreateSweep(sweep));
    // val_error per trial at epochs 0, 1: ce 0.40/0.30, 0.40/0.32; ldam 0.30/0.25, 0.30/0.27.
    const double best[] = {0.30, 0.32, 0.25, 0.27};
    for (int i = 0; i < 5; ++i) {
      auto lease = (*store)->LeaseNextTrial("w1", 30s);
      ASSERT_OK(lease);
      const Lease& l = **lease;
      FinishRequest finish;
      if (i < 4) {
        MetricBatch batch;
        for (int e = 0; e < 2; ++e) {
          batch.metrics.push_back({e, "val_error", e == 0 ? best[i] + 0.1 : best[i]});
          batch.metrics.push_back({e, "train_loss", 1.0 - 0.5 * e});
          batch.metrics.push_back({e, "val_loss", 1.2 - 0.4 * e});
          batch.metrics.push_back({e, "lr", 0.1});
        }
        if (i == 0) batch.runtime = AttemptRuntime{2, "OpenBLAS 0.3.21 Haswell", 1, "cpu"};
        ASSERT_OK((*store)->ReportMetrics(l.trial_id, l.token, batch));
      } else {
        finish.outcome = AttemptOutcome::kFailedPermanent;
        finish.exit_code = 2;
        finish.error = "method.focal_gamma: must be >= 0";
      }
      ASSERT_OK((*store)->FinishAttempt(l.trial_id, l.token, finish));
    }
  }

  RunResult Run(const std::string& args) {
    const std::string err_file = dir_.File("stderr.txt");
    const std::string cmd = "'" + binary_ + "' " + args + " 2>'" + err_file + "'";
    RunResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
    const int status = pclose(p);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = ltsweep::testing::ReadFile(err_file);
    return r;
  }

  std::string Db() const { return " --db '" + db_ + "'"; }

  FakeClock clock_;
  TempDir dir_;
  std::string binary_, db_;
};

TEST_F(ResultsCliTest, SqlAnswersSelectsAndRefusesWrites) {
  RunResult r = Run("sql \"SELECT id, status FROM trials ORDER BY id\" --format csv" + Db());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "id,status\r\n1,succeeded\r\n2,succeeded\r\n3,succeeded\r\n4,succeeded\r\n5,failed\r\n");

  for (const char* sql : {"INSERT INTO workers VALUES ('x','h',1,'[]','alive',0,0)", "UPDATE trials SET status = 'failed'",
                          "PRAGMA user_version = 5", "ATTACH 'other.db' AS o", "SELECT load_extension('x')"}) {
    r = Run("sql \"" + std::string(sql) + "\"" + Db());
    EXPECT_EQ(r.rc, 2) << sql;
    EXPECT_NE(r.err.find("ltsweep: error: refused:"), std::string::npos) << sql << ": " << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  r = Run("sql \"SELEC 1\"" + Db());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("syntax error"), std::string::npos) << r.err;
  r = Run("sql \"SELECT 1\" --db '" + dir_.File("missing.db") + "'");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("missing.db does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("missing.db")));
  // Nothing was written.
  r = Run("sql \"SELECT count(*) FROM trials WHERE status = 'failed'\" --format csv" + Db());
  EXPECT_EQ(r.out, "count(*)\r\n1\r\n");
}

TEST_F(ResultsCliTest, ResultsTableAndErrors) {
  RunResult r = Run("results 1 --format csv" + Db());
  ASSERT_EQ(r.rc, 0) << r.err;
  // mean of best epochs in %: ce (30, 32) -> 31 ± sqrt(2); ldam (25, 27) -> 26 ± sqrt(2).
  std::vector<std::string> lines;
  for (size_t p = 0, q; (q = r.out.find("\r\n", p)) != std::string::npos; p = q + 2) lines.push_back(r.out.substr(p, q - p));
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "method.loss,n,val_error,val_error_std");
  auto fields = [](const std::string& line) {
    std::vector<std::string> f;
    for (size_t p = 0;;) {
      const size_t q = line.find(',', p);
      f.push_back(line.substr(p, q == std::string::npos ? std::string::npos : q - p));
      if (q == std::string::npos) return f;
      p = q + 1;
    }
  };
  const auto ce = fields(lines[1]), ldam = fields(lines[2]);
  ASSERT_EQ(ce.size(), 4u);
  EXPECT_EQ(ce[0], "ce");
  EXPECT_EQ(ce[1], "2");
  EXPECT_NEAR(std::stod(ce[2]), 31.0, 1e-9);
  EXPECT_NEAR(std::stod(ce[3]), std::sqrt(2.0), 1e-9);
  ASSERT_EQ(ldam.size(), 4u);
  EXPECT_EQ(ldam[0], "ldam");
  EXPECT_NEAR(std::stod(ldam[2]), 26.0, 1e-9);
  EXPECT_NEAR(std::stod(ldam[3]), std::sqrt(2.0), 1e-9);

  r = Run("results" + Db());  // the newest sweep, text table
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("31.00 \u00b1 1.41"), std::string::npos) << r.out;

  r = Run("results 99" + Db());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("unknown sweep 99"), std::string::npos) << r.err;
  r = Run("results 1 --agg median" + Db());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--agg"), std::string::npos) << r.err;
  r = Run("results 1 --group-by method.los" + Db());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("did you mean method.loss"), std::string::npos) << r.err;
  // A sweep without stages: no stage column, and --stage is refused, naming it.
  EXPECT_EQ(Run("results 1 --format json" + Db()).out.find("\"stage\""), std::string::npos);
  r = Run("results 1 --stage 2" + Db());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--stage: sweep 1 has no stages (its spec has no stages:)"), std::string::npos) << r.err;
  r = Run("best 1 --all-stages" + Db());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--all-stages: sweep 1 has no stages"), std::string::npos) << r.err;
  r = Run("results 1 --stage 0" + Db());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("expected a stage number, 1 for the first stage, got '0'"), std::string::npos) << r.err;
}

TEST_F(ResultsCliTest, BestTrialCurvesAndReport) {
  RunResult r = Run("best 1 --format json" + Db());
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["trial_id"], 3);
  EXPECT_DOUBLE_EQ(j["value"].get<double>(), 0.25);
  EXPECT_EQ(j["config"]["method"]["loss"], "ldam");

  r = Run("trial 5" + Db());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("failed"), std::string::npos);
  EXPECT_NE(r.out.find("method.focal_gamma: must be >= 0"), std::string::npos) << r.out;
  r = Run("trial 77" + Db());
  EXPECT_EQ(r.rc, 2);
  // What the attempt ran with, from the trainer's start event.
  r = Run("trial 1" + Db());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("OpenBLAS 0.3.21 Haswell (1 thread)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("device"), std::string::npos) << r.out;
  r = Run("trial 1 --format json" + Db());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto attempt = nlohmann::json::parse(r.out)["attempt_history"][0];
  EXPECT_EQ(attempt["device"], "cpu") << attempt.dump();
  EXPECT_EQ(attempt["blas"], "OpenBLAS 0.3.21 Haswell (1 thread)") << attempt.dump();

  const std::string svg = dir_.File("curves.svg");
  r = Run("curves 1 3 -o '" + svg + "'" + Db());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(ltsweep::testing::ReadFile(svg).find("<svg"), std::string::npos);

  const std::string html = dir_.File("report.html");
  r = Run("report 1 -o '" + html + "'" + Db());
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string page = ltsweep::testing::ReadFile(html);
  EXPECT_NE(page.find("<table class=\"results\">"), std::string::npos);
  EXPECT_NE(page.find("method.focal_gamma: must be &gt;= 0"), std::string::npos);
  EXPECT_NE(page.find("How the trials ran"), std::string::npos);
  EXPECT_NE(page.find("OpenBLAS 0.3.21 Haswell (1 thread)"), std::string::npos);
  EXPECT_TRUE(r.out.empty());  // data went to the file, the note to stderr
  EXPECT_NE(r.err.find("report.html"), std::string::npos);
}

}  // namespace
}  // namespace ltsweep
