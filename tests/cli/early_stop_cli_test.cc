// Early termination end to end: `ltsweep run` (a real coordinator, worker
// slots and fake trainers, a real database file) of a hyperband spec where
// the poor trials end `stopped` and the best survives, and of a DRW spec
// where the guard keeps a late bloomer alive.
#include <sqlite3.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/cli/cli_process.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

// One integer from a query on the database (-1 when it gives no row).
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

class EarlyStopCliTest : public ::testing::Test {
 protected:
  CliResult Run(const std::string& args, std::map<std::string, std::string> env = {}) {
    env.emplace("LTSWEEP_FAKE_EPOCH_MS", "150");
    return RunCli(LTSWEEP_CLI_PATH, args, env, dir_.path().string());
  }
  std::string Common() const {
    return " --trainer " + ShellQuote(LTSWEEP_FAKE_TRAIN_PATH) + " --db " + ShellQuote(db_) + " --work-dir " +
           ShellQuote(dir_.File("work")) + " --threads 1";
  }
  int64_t Query(const std::string& sql) const { return QueryInt(db_, sql); }

  TempDir dir_;
  std::string db_ = dir_.File("results.db");
};

// Six learning rates whose fake curves never cross (val_error grows with
// lr): rungs at 1 and 3 of 9 epochs, the top 1/3 of each rung carries on.
const char kHyperbandSpec[] =
    "name: asha\n"
    "config:\n  data: {dataset: synthetic}\n  train: {epochs: 9}\n"
    "parameters:\n  train.lr: {values: [0.01, 0.5, 1.0, 2.0, 3.0, 4.0]}\n"
    "early_terminate: {type: hyperband, min_iter: 1, eta: 3}\n";

TEST_F(EarlyStopCliTest, HyperbandStopsPoorTrialsAndTheBestSurvives) {
  const std::string spec = dir_.File("asha.yaml");
  WriteFile(spec, kHyperbandSpec);
  CliResult v = Run("validate " + ShellQuote(spec));
  ASSERT_EQ(v.code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("rungs at 1, 3 of 9 epochs"), std::string::npos) << v.out;

  const std::string report = dir_.File("report.html");
  CliResult r = Run("run " + ShellQuote(spec) + " --workers 2 --report " + ShellQuote(report) + Common());
  ASSERT_EQ(r.code, 0) << "stopped trials are not failures\n" << r.out << r.err;
  const std::string html = ReadFile(report);
  EXPECT_NE(html.find("<h2>Stopped early</h2>"), std::string::npos);
  EXPECT_NE(html.find("ranks 3 of 3"), std::string::npos) << "the reason of lr 1.0's stop";
  // The best learning rate ran to the end; lr >= 1 ranks at best third of
  // three or more trials at the first rung, so it stopped there.
  EXPECT_EQ(Query("SELECT count(*) FROM trials WHERE status = 'succeeded' AND "
                  "json_extract(config_json, '$.train.lr') = 0.01"),
            1);
  EXPECT_EQ(Query("SELECT count(*) FROM trials WHERE status = 'stopped' AND "
                  "json_extract(config_json, '$.train.lr') >= 1.0"),
            4);
  EXPECT_EQ(Query("SELECT count(*) FROM trials WHERE status IN ('failed', 'queued', 'cancelled')"), 0);
  // A stopped trial keeps its metrics, ends before the last epoch, uses no
  // try and its attempt says why.
  EXPECT_EQ(Query("SELECT count(*) FROM trials t WHERE status = 'stopped' AND NOT EXISTS "
                  "(SELECT 1 FROM metrics m WHERE m.trial_id = t.id AND m.name = 'val_error')"),
            0);
  EXPECT_EQ(Query("SELECT count(*) FROM metrics m JOIN trials t ON t.id = m.trial_id "
                  "WHERE t.status = 'stopped' AND m.name = 'val_error' AND m.epoch = 8"),
            0);
  EXPECT_EQ(Query("SELECT count(*) FROM attempts a JOIN trials t ON t.id = a.trial_id WHERE t.status = 'stopped' "
                  "AND (a.status != 'stopped' OR a.outcome != 'stopped' OR a.used_try != 0)"),
            0);
  EXPECT_EQ(Query("SELECT count(*) FROM attempts"), 6) << "no retries";
  EXPECT_GE(Query("SELECT count(*) FROM early_stop_decisions WHERE decision = 'stop' AND rung = 0"), 4);
  EXPECT_EQ(Query("SELECT status = 'done' FROM sweeps WHERE id = 1"), 1);
  EXPECT_NE(r.err.find("stopped early"), std::string::npos) << r.err;

  // `ltsweep trial` shows the decisions; `results --all` marks the stopped.
  const int64_t stopped = Query("SELECT min(id) FROM trials WHERE status = 'stopped' AND "
                                "json_extract(config_json, '$.train.lr') >= 1.0");
  CliResult t = Run("trial " + std::to_string(stopped) + " --db " + ShellQuote(db_));
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("stopped"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("early termination decisions:"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("rung 0 (1 epochs)"), std::string::npos) << t.out;
  CliResult all = Run("results 1 --all --db " + ShellQuote(db_));
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_NE(all.out.find("stopped"), std::string::npos) << all.out;
  CliResult plain = Run("results 1 --db " + ShellQuote(db_));
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("stopped"), std::string::npos) << "only finished trials by default\n" << plain.out;

  // A second run links the finished trial and runs the stopped ones again:
  // a stopped trial is never reused as a finished result.
  CliResult again = Run("run " + ShellQuote(spec) + " --workers 2" + Common());
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  // (lr 0.5 may have finished too: it carries on when it reaches a rung
  // before lr 0.01 does.)
  const int64_t succeeded = Query("SELECT count(*) FROM trials WHERE sweep_id = 1 AND status = 'succeeded'");
  EXPECT_GE(succeeded, 1);
  EXPECT_EQ(Query("SELECT count(*) FROM trials WHERE sweep_id = 2 AND status = 'linked'"), succeeded);
  EXPECT_EQ(Query("SELECT count(*) FROM trials WHERE sweep_id = 2 AND status = 'linked' AND "
                  "reused_from_trial_id IN (SELECT id FROM trials WHERE status = 'stopped')"),
            0);
}

// Three trials, the DRW one last (one worker: the others' curves are there
// when it is judged). Before method.drw_epoch 4 the late bloomer is the
// worst; from it on the best (LTSWEEP_FAKE_DRW_CURVE).
std::string DrwSpec(bool respect_drw) {
  return std::string("name: drw-guard\n") +
         "config:\n  data: {dataset: synthetic}\n  train: {epochs: 10}\n  method: {drw_epoch: 4}\n"
         "parameters:\n  arm:\n    values:\n"
         "      - {method.loss: ce, train.lr: 0.01}\n"
         "      - {method.loss: ce, train.lr: 0.3}\n"
         "      - {method.loss: ldam, method.defer: drw, train.lr: 0.01}\n"
         "early_terminate: {type: median, min_iter: 2" +
         (respect_drw ? "" : ", respect_drw: false") + "}\n";
}

TEST_F(EarlyStopCliTest, DrwGuardKeepsALateBloomerThatTheBlindRuleStops) {
  const std::map<std::string, std::string> env = {{"LTSWEEP_FAKE_DRW_CURVE", "1"},
                                                   {"LTSWEEP_FAKE_EPOCH_MS", "100"}};
  const std::string guarded = dir_.File("guarded.yaml");
  WriteFile(guarded, DrwSpec(true));
  CliResult r = Run("run " + ShellQuote(guarded) + " --workers 1" + Common(), env);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string drw = "json_extract(config_json, '$.method.defer') = 'drw'";
  EXPECT_EQ(Query("SELECT count(*) FROM trials WHERE sweep_id = 1 AND status = 'succeeded' AND " + drw), 1)
      << r.err;
  // It was judged worse than the median before the transition, and kept.
  EXPECT_GE(Query("SELECT count(*) FROM early_stop_decisions d JOIN trials t ON t.id = d.trial_id "
                  "WHERE t.sweep_id = 1 AND d.guarded = 1 AND d.decision = 'continue' AND " + drw),
            1);
  // The late bloomer ends as the sweep's best.
  EXPECT_EQ(Query("SELECT json_extract(config_json, '$.method.defer') = 'drw' FROM trials "
                  "WHERE sweep_id = 1 ORDER BY best_metric LIMIT 1"),
            1);

  const std::string blind = dir_.File("blind.yaml");
  WriteFile(blind, DrwSpec(false));
  CliResult b = Run("run " + ShellQuote(blind) + " --workers 1 --rerun" + Common(), env);
  ASSERT_EQ(b.code, 0) << b.out << b.err;
  EXPECT_EQ(Query("SELECT count(*) FROM trials WHERE sweep_id = 2 AND status = 'stopped' AND " + drw), 1) << b.err;
}

TEST_F(EarlyStopCliTest, BadEarlyTerminateIsRefusedBeforeAnythingRuns) {
  const std::string spec = dir_.File("bad.yaml");
  WriteFile(spec, "config:\n  train: {epochs: 5}\nearly_terminate: {type: hyperband, min_iter: 9}\n");  // line 3
  CliResult v = Run("validate " + ShellQuote(spec));
  EXPECT_NE(v.code, 0);
  EXPECT_NE(v.err.find("bad.yaml:3: early_terminate.min_iter: 9 is not below max_iter = train.epochs (5)"),
            std::string::npos)
      << v.err;
  CliResult r = Run("run " + ShellQuote(spec) + Common());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("early_terminate.min_iter"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ltsweep::testing
