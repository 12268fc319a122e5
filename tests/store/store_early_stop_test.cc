// The store's side of early termination: the 'stopped' state, the decision
// table, the stop request in heartbeats, the curves read for a decision, and
// that a stopped trial is never reused.
#include <cmath>

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::milliseconds;

class StoreEarlyStopTest : public StoreTest {
 protected:
  Lease LeaseOne() {
    auto lease = store_->LeaseNextTrial("w1", milliseconds(30000));
    EXPECT_OK(lease);
    EXPECT_TRUE(lease->has_value());
    return **lease;
  }
  void Report(const Lease& l, int epoch, double v) {
    MetricBatch b;
    b.metrics.push_back({epoch, "val_error", v});
    ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, b));
  }
  EarlyStopRecord Decision(int64_t epoch, bool stop) {
    EarlyStopRecord r;
    r.epoch = epoch;
    r.rung = 0;
    r.rung_epochs = epoch + 1;
    r.stop = stop;
    r.value = 0.9;
    r.threshold = 0.5;
    r.compared = 3;
    r.compared_with = "rung 0 (1 epochs): 0.9 ranks 3 of 3; the top 1 carry on (cut-off 0.5)";
    return r;
  }
};

TEST_F(StoreEarlyStopTest, StoppedIsItsOwnTerminalStateWithMetricsKept) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 2, "es")));
  const Lease a = LeaseOne();
  Report(a, 0, 0.9);
  // A worker cannot stop a trial on its own.
  FinishRequest stop;
  stop.outcome = AttemptOutcome::kStopped;
  stop.exit_code = 4;
  stop.worker_id = "w1";
  EXPECT_EQ(store_->FinishAttempt(a.trial_id, a.token, stop).status().code(), StatusCode::kFailedPrecondition);
  // Recorded decisions: a continue, then a stop that heartbeats relay.
  ASSERT_OK(store_->RecordEarlyStop(a.trial_id, a.token, Decision(0, false)));
  auto beat = store_->Heartbeat("w1", {{a.trial_id, a.token}}, milliseconds(30000));
  ASSERT_OK(beat);
  EXPECT_FALSE(beat->front().stop);
  ASSERT_OK(store_->RecordEarlyStop(a.trial_id, a.token, Decision(1, true)));
  beat = store_->Heartbeat("w1", {{a.trial_id, a.token}}, milliseconds(30000));
  ASSERT_OK(beat);
  EXPECT_TRUE(beat->front().alive);
  EXPECT_TRUE(beat->front().stop);
  // A stale token records nothing.
  EXPECT_EQ(store_->RecordEarlyStop(a.trial_id, "0123", Decision(2, true)).code(), StatusCode::kFailedPrecondition);

  stop.error = "stopped early: rung 0";
  auto finished = store_->FinishAttempt(a.trial_id, a.token, stop);
  ASSERT_OK(finished);
  EXPECT_EQ(finished->trial_state, TrialState::kStopped);
  EXPECT_FALSE(finished->requeued);
  auto info = store_->GetTrial(a.trial_id);
  ASSERT_OK(info);
  EXPECT_EQ(info->trial.state, TrialState::kStopped);
  EXPECT_TRUE(IsTerminal(info->trial.state));
  EXPECT_DOUBLE_EQ(info->trial.best_metric.value_or(-1), 0.9);
  ASSERT_EQ(info->attempts.size(), 1u);
  EXPECT_EQ(info->attempts[0].state, AttemptState::kStopped);
  EXPECT_EQ(info->attempts[0].outcome, "stopped");
  EXPECT_FALSE(info->attempts[0].used_try);
  auto workers = store_->ListWorkers();
  ASSERT_OK(workers);
  EXPECT_EQ(workers->front().worker.consecutive_failures, 0) << "not counted against the worker";

  auto history = store_->GetTrialHistory(a.trial_id);
  ASSERT_OK(history);
  ASSERT_EQ(history->early_stop.size(), 2u);
  EXPECT_FALSE(history->early_stop[0].stop);
  EXPECT_TRUE(history->early_stop[1].stop);
  EXPECT_EQ(history->early_stop[1].rung, 0);
  EXPECT_NE(history->early_stop[1].compared_with.find("ranks 3 of 3"), std::string::npos);
  EXPECT_EQ(history->metrics.scalars.at("val_error").size(), 1u);

  // The other trial succeeds: the sweep is done, and counts say stopped.
  const Lease b = LeaseOne();
  FinishRequest ok;
  ok.worker_id = "w1";
  ASSERT_OK(store_->FinishAttempt(b.trial_id, b.token, ok));
  auto sweep = store_->GetSweep(a.sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
  EXPECT_EQ(sweep->counts.stopped, 1);
  EXPECT_EQ(sweep->counts.succeeded, 1);
  EXPECT_EQ(sweep->counts.total(), 2);

  // An identical trial in a later sweep reuses the success, never the stop.
  auto again = store_->CreateSweep(MakeSweep("again", 2, "es"));
  ASSERT_OK(again);
  EXPECT_EQ(again->n_linked, 1);
  EXPECT_EQ(again->n_queued, 1);
  auto trials = store_->ListTrials(again->sweep_id);
  ASSERT_OK(trials);
  EXPECT_EQ((*trials)[0].state, TrialState::kQueued) << "the stopped config runs again";
  EXPECT_EQ((*trials)[1].state, TrialState::kLinked);
}

TEST_F(StoreEarlyStopTest, AllStoppedSweepIsDoneNotFailed) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "one")));
  const Lease a = LeaseOne();
  Report(a, 0, 0.5);
  ASSERT_OK(store_->RecordEarlyStop(a.trial_id, a.token, Decision(0, true)));
  FinishRequest stop;
  stop.outcome = AttemptOutcome::kStopped;
  ASSERT_OK(store_->FinishAttempt(a.trial_id, a.token, stop));
  auto sweep = store_->GetSweep(a.sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
}

TEST_F(StoreEarlyStopTest, CurvesOfTheSweepInOneRead) {
  NewSweep s = MakeSweep("s", 3, "c");
  s.early_terminate_json = R"({"type":"hyperband"})";
  ASSERT_OK(store_->CreateSweep(s));
  const Lease a = LeaseOne();
  const Lease b = LeaseOne();
  Report(a, 0, 0.5);
  Report(a, 1, 0.4);
  Report(a, 2, 0.3);
  Report(b, 0, std::nan(""));
  auto curves = store_->GetSweepCurves(b.trial_id, "val_error", 1);
  ASSERT_OK(curves);
  EXPECT_EQ(curves->sweep_id, a.sweep_id);
  EXPECT_NE(curves->config_json.find("\"seed\":1"), std::string::npos) << curves->config_json;
  ASSERT_EQ(curves->curves.size(), 2u);
  EXPECT_EQ(curves->curves.at(a.trial_id).size(), 2u) << "epochs above max_epoch are not read";
  EXPECT_TRUE(std::isnan(curves->curves.at(b.trial_id).at(0)));
  auto sweep = store_->GetSweep(a.sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.early_terminate_json, R"({"type":"hyperband"})");
  EXPECT_EQ(store_->GetSweepCurves(999, "val_error", 1).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ltsweep::testing
