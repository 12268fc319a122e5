// The results of a staged sweep (`stages:`) on real daemons: an
// `ltsweep coordinator` and an `ltsweep worker` on loopback running the fake
// trainer's deterministic curves (LTSWEEP_FAKE_SCHEME), a real database.
//
//   * `ltsweep report --coordinator` draws the same stage section (the range
//     test's curve, the plateau with the chosen epoch) as `report --db`.
//   * The results table shows the last stage's trials by default, says how
//     many trials of earlier stages it leaves out, `--stage K` shows stage
//     K's, `--all-stages` all of them with a stage column, and JSON/CSV
//     always carry the stage; the best trial is the grid's even where an
//     earlier stage's trial has a lower error. The same from the database
//     file and from the coordinator.
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_process.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

// The grid runs at lr 1.0: the fake curve turns at epoch round(2 / lr) = 2,
// so its best val_error (0.32) is worse than the range test's (0.15) and the
// plateau run's: a table that mixed the stages would rank those first.
const char kScheme[] = R"(name: results_scheme
config:
  data: {dataset: synthetic}
  train: {epochs: 12}
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
      train.lr: 1.0
      train.lr_schedule: {type: step, milestones: "${plateau.milestones}"}
      method.drw_epoch: ${plateau.drw_epoch}
    parameters:
      method.loss: {values: [ce, ldam]}
)";

// The text of `html` from `from` up to the next `to` (or the end).
std::string Section(const std::string& html, const std::string& from, const std::string& to) {
  const size_t a = html.find(from);
  if (a == std::string::npos) return "";
  const size_t b = html.find(to, a + from.size());
  return html.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// The page without its footer line (it names the minute it was made).
std::string WithoutFooter(const std::string& html) {
  const size_t a = html.find("<p class=\"note\">Generated ");
  if (a == std::string::npos) return html;
  return html.substr(0, a) + html.substr(html.find('\n', a) + 1);
}

class StagesResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartCoordinator("5s");
    cluster_.StartWorker({"w1", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}, {"LTSWEEP_FAKE_SCHEME", "1"}}, {}});
    const std::string spec = dir_.File("scheme.yaml");
    WriteFile(spec, kScheme);
    CliResult r = RunCli(LTSWEEP_CLI_PATH, "submit " + ShellQuote(spec) + " --coordinator " + cluster_.address());
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_TRUE(cluster_.WaitFinished(1, std::chrono::seconds(90))) << cluster_.CoordinatorLog();
    ASSERT_EQ(cluster_.Sweep(1).state(), "done") << cluster_.CoordinatorLog();
  }
  // `ltsweep ARGS` reading the database file, or the coordinator.
  CliResult FromDb(const std::string& args) {
    return RunCli(LTSWEEP_CLI_PATH, args + " --db " + ShellQuote(cluster_.db_path()));
  }
  CliResult FromCoordinator(const std::string& args) {
    return RunCli(LTSWEEP_CLI_PATH, args + " --coordinator " + cluster_.address());
  }

  TempDir dir_;
  Cluster cluster_{dir_};
};

TEST_F(StagesResultsTest, RemoteReportDrawsTheStageChartsAsTheLocalOne) {
  const std::string local = dir_.File("local.html"), remote = dir_.File("remote.html");
  CliResult r = FromDb("report 1 -o " + ShellQuote(local));
  ASSERT_EQ(r.code, 0) << r.err;
  r = FromCoordinator("report 1 -o " + ShellQuote(remote));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string local_html = ReadFile(local), remote_html = ReadFile(remote);
  const std::string stages = Section(local_html, "<h2>Stages</h2>", "<h2>");
  EXPECT_NE(stages.find("<h3>Stage 1: range_test</h3>"), std::string::npos) << stages;
  EXPECT_NE(stages.find("LR range test: training-batch accuracy per step"), std::string::npos);
  EXPECT_NE(stages.find("<h3>Stage 2: plateau</h3>"), std::string::npos);
  EXPECT_NE(stages.find("Constant-lr run: validation error"), std::string::npos);
  EXPECT_EQ(Section(remote_html, "<h2>Stages</h2>", "<h2>"), stages);
  // The whole page is the same, the results of the grid stage included.
  EXPECT_EQ(WithoutFooter(remote_html), WithoutFooter(local_html));
  const std::string results = Section(local_html, "<h2>Results</h2>", "<h2>");
  EXPECT_NE(results.find("Stage 3 of 3 (grid)"), std::string::npos) << results;
  EXPECT_NE(results.find("2 trials of earlier stages not shown"), std::string::npos) << results;
}

TEST_F(StagesResultsTest, ResultsShowTheLastStageUnlessAskedAndNeverMixStages) {
  // The default table: the grid's two trials, the earlier stages' named.
  CliResult table = FromDb("results 1");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.err.find("stage 3 of 3 (grid); 2 trials of earlier stages not shown: --stage K shows stage K, "
                           "--all-stages every stage"),
            std::string::npos)
      << table.err;
  EXPECT_NE(table.out.find("method.loss"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("train.lr_schedule.type"), std::string::npos) << table.out;  // varies only across stages

  for (bool remote : {false, true}) {
    SCOPED_TRACE(remote ? "from the coordinator" : "from the database file");
    auto run = [&](const std::string& args) { return remote ? FromCoordinator(args) : FromDb(args); };
    CliResult r = run("results 1 --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["rows"].size(), 2u) << r.out;
    for (const auto& row : j["rows"]) EXPECT_EQ(row["stage"], 3) << r.out;
    EXPECT_EQ(j["rows"][0]["method.loss"], "ce");
    EXPECT_EQ(j["rows"][1]["method.loss"], "ldam");

    r = run("results 1 --stage 1 --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["rows"].size(), 1u) << r.out;
    EXPECT_EQ(j["rows"][0]["stage"], 1);
    EXPECT_EQ(j["rows"][0]["n"], 1);
    EXPECT_NEAR(j["rows"][0]["val_error"].get<double>(), 15.0, 0.5) << r.out;  // the range test's best

    r = run("results 1 --all-stages --format csv");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("stage,", 0), 0u) << r.out;
    int rows = -1;
    for (char c : r.out) rows += c == '\n';
    EXPECT_EQ(rows, 4) << r.out;  // range test, plateau, grid ce, grid ldam

    // The best trial is the grid's (ordinals 2 and 3: trials 3 and 4).
    r = run("best 1 --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    j = nlohmann::json::parse(r.out);
    EXPECT_GE(j["trial_id"].get<int>(), 3) << r.out;
    EXPECT_EQ(j["stage"], 3) << r.out;
    EXPECT_EQ(j["config"]["train"]["lr_schedule"]["type"], "step") << r.out;
    r = run("best 1 --all-stages --format json");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_LE(nlohmann::json::parse(r.out)["trial_id"].get<int>(), 2) << r.out;

    r = run("results 1 --stage 4");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--stage 4: sweep 1 has 3 stages"), std::string::npos) << r.err;
    r = run("results 1 --stage 1 --all-stages");
    EXPECT_EQ(r.code, 2) << r.err;
  }
  // The same tables from both sources.
  EXPECT_EQ(FromCoordinator("results 1 --all-stages --format json").out,
            FromDb("results 1 --all-stages --format json").out);
}

}  // namespace
}  // namespace ltsweep::testing
