// Staged sweeps end to end (`stages:`): `ltsweep validate` / `expand` of a
// staged spec, and `ltsweep run` (a real coordinator, worker slots, fake
// trainers on deterministic curves: LTSWEEP_FAKE_SCHEME, a real database)
// where each later stage's trials carry the values the stage before found;
// a stage whose rule finds nothing fails the sweep with the reason; a run
// killed with SIGKILL mid-scheme resumes and finishes.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/cli/cli_process.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

// One text value from a query on the database ("" when it gives no row).
std::string QueryText(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) value = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

const char kScheme[] = R"(name: fake_scheme
config:
  data: {dataset: synthetic}
  train: {epochs: 12}
stages:
  - name: range_test
    find: lr_bounds
    config:
      train:
        epochs: 20
        lr_schedule: {type: range_test, min_lr: 0.001, max_lr: MAX_LR}
  - name: plateau
    find: plateau
    config:
      train.lr: ${range_test.max_lr}
      train.lr_schedule.type: constant
  - name: grid
    seeds: [0, 1]
    config:
      train.lr_schedule:
        type: triangular
        min_lr: ${range_test.min_lr}
        max_lr: ${range_test.max_lr}
        milestones: ${plateau.milestones}
      method.drw_epoch: ${plateau.drw_epoch}
    parameters:
      method.loss: {values: [ce, ldam]}
)";

class StagesCliTest : public ::testing::Test {
 protected:
  std::string WriteSpec(const std::string& max_lr) {
    std::string text = kScheme;
    text.replace(text.find("MAX_LR"), 6, max_lr);
    const std::string path = dir_.File("scheme.yaml");
    WriteFile(path, text);
    return path;
  }
  CliResult Run(const std::string& args, const std::string& epoch_ms = "10") {
    return RunCli(LTSWEEP_CLI_PATH, args, {{"LTSWEEP_FAKE_SCHEME", "1"}, {"LTSWEEP_FAKE_EPOCH_MS", epoch_ms}},
                  dir_.path().string());
  }
  std::string RunArgs(const std::string& spec) const {
    return "run " + ShellQuote(spec) + " --trainer " + ShellQuote(LTSWEEP_FAKE_TRAIN_PATH) + " --db " +
           ShellQuote(db_) + " --work-dir " + ShellQuote(dir_.File("work")) + " --threads 1 --workers 2";
  }
  std::string Query(const std::string& sql) const { return QueryText(db_, sql); }

  // The checks of a finished scheme: each stage done, the found values in
  // the later stages' trial configs.
  // per_step: the fake range test's done event carried its per-step curve
  // (falls apart past lr 0.35), so the rule must have read that one and not
  // the per-epoch validation points (which fall past lr 0.6).
  void ExpectSchemeDone(bool per_step = true) {
    EXPECT_EQ(Query("SELECT status FROM sweeps WHERE id = 1"), "done");
    EXPECT_EQ(Query("SELECT group_concat(status || ':' || n_trials, ',') FROM "
                    "(SELECT status, n_trials FROM sweep_stages WHERE sweep_id = 1 ORDER BY stage)"),
              "done:1,done:1,done:4");
    EXPECT_EQ(Query("SELECT count(*) FROM trials WHERE sweep_id = 1 AND status = 'succeeded'"), "6");
    // The range test found bounds inside the fake curve's rise and fall.
    const double min_lr = std::stod(Query("SELECT json_extract(found_json, '$.min_lr') FROM sweep_stages WHERE stage = 0"));
    const double max_lr = std::stod(Query("SELECT json_extract(found_json, '$.max_lr') FROM sweep_stages WHERE stage = 0"));
    EXPECT_GT(min_lr, 0.05);
    EXPECT_LT(min_lr, max_lr);
    if (per_step) {
      EXPECT_GE(max_lr, 0.3);
      EXPECT_LT(max_lr, 0.45);
    } else {
      EXPECT_GE(max_lr, 0.55);
      EXPECT_LE(max_lr, 0.75);
    }
    // Stage 2 (ordinal 1) runs at the found max_lr.
    EXPECT_EQ(Query("SELECT count(*) FROM trials t, sweep_stages s WHERE s.stage = 0 AND t.ordinal = 1 AND "
                    "json_extract(t.config_json, '$.train.lr') = json_extract(s.found_json, '$.max_lr') AND "
                    "json_extract(t.config_json, '$.train.lr_schedule.type') = 'constant'"),
              "1");
    // The fake curve turns at K = round(2 / lr), so drw_epoch is K + 1.
    const int knee = static_cast<int>(std::lround(2.0 / max_lr));
    EXPECT_EQ(Query("SELECT json_extract(found_json, '$.drw_epoch') FROM sweep_stages WHERE stage = 1"),
              std::to_string(knee + 1));
    // Every stage-3 trial carries all four found values.
    EXPECT_EQ(Query("SELECT count(*) FROM trials t, sweep_stages a, sweep_stages b WHERE a.stage = 0 AND b.stage = 1 "
                    "AND t.ordinal >= 2 AND "
                    "json_extract(t.config_json, '$.train.lr_schedule.min_lr') = json_extract(a.found_json, '$.min_lr') "
                    "AND json_extract(t.config_json, '$.train.lr_schedule.max_lr') = json_extract(a.found_json, '$.max_lr') "
                    "AND json_extract(t.config_json, '$.train.lr_schedule.milestones') = "
                    "    json_extract(b.found_json, '$.milestones') "
                    "AND json_extract(t.config_json, '$.method.drw_epoch') = json_extract(b.found_json, '$.drw_epoch') "
                    "AND json_extract(t.config_json, '$.train.lr_schedule.type') = 'triangular'"),
              "4");
    // The evidence is kept: the rule's line and the curve it read.
    EXPECT_NE(Query("SELECT json_extract(evidence_json, '$.rule') FROM sweep_stages WHERE stage = 0").find("peak"),
              std::string::npos);
    EXPECT_EQ(Query("SELECT json_array_length(evidence_json, '$.curve') FROM sweep_stages WHERE stage = 0"),
              per_step ? "400" : "20");  // 20 steps x 20 epochs, or 20 epochs
    EXPECT_EQ(Query("SELECT json_extract(evidence_json, '$.curve_kind') FROM sweep_stages WHERE stage = 0"),
              per_step ? "per_step" : "per_epoch");
    EXPECT_EQ(Query("SELECT json_extract(evidence_json, '$.smooth') FROM sweep_stages WHERE stage = 0"),
              per_step ? "21" : "3");
  }

  TempDir dir_;
  std::string db_ = dir_.File("results.db");
};

TEST_F(StagesCliTest, ValidateAndExpandDescribeTheStages) {
  const std::string spec = WriteSpec("1.0");
  CliResult v = Run("validate " + ShellQuote(spec));
  ASSERT_EQ(v.code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("stages: 3"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("3. grid: 4 trial(s) (made when the stage before has ended)"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("stages[2].config.method.drw_epoch <- ${plateau.drw_epoch}"), std::string::npos) << v.out;
  CliResult e = Run("expand " + ShellQuote(spec));
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(std::count(e.out.begin(), e.out.end(), '\n'), 1) << e.out;
  EXPECT_NE(e.err.find("stages 2..3 depend on what the stages before them find"), std::string::npos) << e.err;
  // A reference to an unknown stage is refused at validate time, naming it.
  std::string text = ReadFile(spec);
  text.replace(text.find("${plateau.drw_epoch}"), 20, "${platau.drw_epoch}");
  WriteFile(spec, text);
  CliResult bad = Run("validate " + ShellQuote(spec));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("no stage 'platau' before this one (did you mean 'plateau'?)"), std::string::npos) << bad.err;
}

TEST_F(StagesCliTest, RunFillsLaterStagesWithTheFoundValues) {
  CliResult r = Run(RunArgs(WriteSpec("1.0")));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("stages:\n  1. range_test: done, 1 trial(s); found {\"max_lr\":"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3. grid: done, 4 trial(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("stage 3/3 grid"), std::string::npos) << r.err;
  // The results table is the grid's (method.loss x 2 seeds), not the stages' mixed.
  const std::string table = r.out.substr(0, r.out.find("\nstages:\n"));
  EXPECT_NE(table.find("stage 3 of 3 (grid); 2 trials of earlier stages not shown"), std::string::npos) << table;
  EXPECT_NE(table.find("ltsweep results 1 --db"), std::string::npos) << table;
  EXPECT_NE(table.find("method.loss"), std::string::npos) << table;
  EXPECT_EQ(table.find("train.lr_schedule.type"), std::string::npos) << table;
  ExpectSchemeDone();
}

TEST_F(StagesCliTest, WithoutAPerStepCurveTheRuleReadsTheEpochs) {
  CliResult r = RunCli(LTSWEEP_CLI_PATH, RunArgs(WriteSpec("1.0")),
                       {{"LTSWEEP_FAKE_SCHEME", "1"}, {"LTSWEEP_FAKE_EPOCH_MS", "10"},
                        {"LTSWEEP_FAKE_NO_STEP_CURVE", "1"}},
                       dir_.path().string());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  ExpectSchemeDone(/*per_step=*/false);
}

TEST_F(StagesCliTest, NoSignalFailsTheSweepWithTheReason) {
  // lr never passes 0.04: the fake accuracy stays flat at 0.1.
  CliResult r = Run(RunArgs(WriteSpec("0.04")));
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("failed at stage 1 (range_test): stage 'range_test': LR range test: no signal"),
            std::string::npos) << r.err;
  EXPECT_EQ(Query("SELECT status FROM sweeps WHERE id = 1"), "failed");
  EXPECT_EQ(Query("SELECT group_concat(status, ',') FROM (SELECT status FROM sweep_stages ORDER BY stage)"),
            "failed,skipped,skipped");
  EXPECT_EQ(Query("SELECT count(*) FROM trials"), "1");  // nothing made after the failed stage
  EXPECT_NE(Query("SELECT evidence_json FROM sweep_stages WHERE stage = 0"), "");
}

TEST_F(StagesCliTest, StageWhoseTrialFailedFailsTheSweep) {
  // Exit 2 (invalid config) fails the range test's trial for good.
  CliResult r = RunCli(LTSWEEP_CLI_PATH, RunArgs(WriteSpec("1.0")),
                       {{"LTSWEEP_FAKE_SCHEME", "1"}, {"LTSWEEP_FAKE_EXIT", "2"}}, dir_.path().string());
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("stage 'range_test': its trial 1 ended failed"), std::string::npos) << r.err;
  EXPECT_EQ(Query("SELECT status FROM sweeps WHERE id = 1"), "failed");
  EXPECT_EQ(Query("SELECT group_concat(status, ',') FROM (SELECT status FROM sweep_stages ORDER BY stage)"),
            "failed,skipped,skipped");
}

TEST_F(StagesCliTest, RunKilledMidSchemeResumesAndFinishes) {
  const std::string spec = WriteSpec("1.0");
  const std::string command = "exec env LTSWEEP_FAKE_SCHEME=1 LTSWEEP_FAKE_EPOCH_MS=150 " +
                              ShellQuote(LTSWEEP_CLI_PATH) + " " + RunArgs(spec) + " >/dev/null 2>&1";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  // SIGKILL the whole run (coordinator, worker, trainer) once stage 2 runs.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (Query("SELECT status FROM sweep_stages WHERE stage = 1") != "running" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_EQ(Query("SELECT status FROM sweep_stages WHERE stage = 1"), "running");
  const std::string found_before = Query("SELECT found_json FROM sweep_stages WHERE stage = 0");

  CliResult again = Run(RunArgs(spec));
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.err.find("resuming sweep 1"), std::string::npos) << again.err;
  EXPECT_EQ(Query("SELECT found_json FROM sweep_stages WHERE stage = 0"), found_before);
  ExpectSchemeDone();
  EXPECT_EQ(Query("SELECT count(*) FROM sweeps"), "1");
}

}  // namespace
}  // namespace ltsweep::testing
