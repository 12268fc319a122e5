// Staged sweeps in the store (store/store_stages.cc): the sweep stays open
// between stages, what a stage found is kept with the next stage's trials,
// a reopened store (a restarted coordinator) finds the same stage to
// advance, and a failed stage fails the sweep.
#include <chrono>

#include <gtest/gtest.h>

#include "tests/store/store_test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::milliseconds;

class StoreStagesTest : public StoreTest {
 protected:
  int64_t CreateStaged(int first_trials = 1) {
    NewSweep sweep = MakeSweep("scheme", first_trials, "s0");
    sweep.stages = {{"range_test", "lr_bounds"}, {"plateau", "plateau"}, {"grid", ""}};
    auto created = store_->CreateSweep(sweep);
    EXPECT_OK(created);
    return created.ok() ? created->sweep_id : 0;
  }

  void RunAllQueued() {
    for (;;) {
      auto lease = store_->LeaseNextTrial("w1", milliseconds(30000));
      ASSERT_OK(lease);
      if (!*lease) return;
      FinishRequest ok;
      ok.best_metric = 0.5;
      ASSERT_OK(store_->FinishAttempt((*lease)->trial_id, (*lease)->token, ok));
    }
  }

  SweepState StateOf(int64_t sweep_id) {
    auto info = store_->GetSweep(sweep_id);
    EXPECT_OK(info);
    return info.ok() ? info->sweep.state : SweepState::kCancelled;
  }
};

TEST_F(StoreStagesTest, SweepStaysOpenBetweenStagesAndAdvancesAcrossARestart) {
  const int64_t id = CreateStaged();
  auto stages = store_->ListStages(id);
  ASSERT_OK(stages);
  ASSERT_EQ(stages->size(), 3u);
  EXPECT_EQ((*stages)[0].state, "running");
  EXPECT_EQ((*stages)[0].n_trials, 1);
  EXPECT_EQ((*stages)[1].state, "waiting");
  auto none = store_->StagesToAdvance();
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());  // its trial is still queued

  RunAllQueued();
  EXPECT_EQ(StateOf(id), SweepState::kRunning);  // not done: stages wait
  Reopen();                                        // a coordinator killed between stages
  auto ready = store_->StagesToAdvance();
  ASSERT_OK(ready);
  ASSERT_EQ(ready->size(), 1u);
  EXPECT_EQ((*ready)[0].sweep_id, id);
  EXPECT_EQ((*ready)[0].stage, 0);
  EXPECT_FALSE((*ready)[0].last);
  EXPECT_EQ((*ready)[0].trial_ids.size(), 1u);
  EXPECT_EQ((*ready)[0].spec_yaml, "name: scheme\n");

  StageAdvance advance;
  advance.sweep_id = id;
  advance.stage = 0;
  advance.found_json = R"({"min_lr":0.02,"max_lr":0.3})";
  advance.evidence_json = R"({"rule":"made up"})";
  advance.next_trials = {{"s1-0", R"({"train":{"lr":0.3}})"}};
  auto created = store_->AdvanceStage(advance);
  ASSERT_OK(created);
  EXPECT_EQ(created->n_queued, 1);
  // Advancing the same stage again writes nothing.
  EXPECT_EQ(store_->AdvanceStage(advance).status().code(), StatusCode::kFailedPrecondition);

  stages = store_->ListStages(id);
  ASSERT_OK(stages);
  EXPECT_EQ((*stages)[0].state, "done");
  EXPECT_EQ((*stages)[0].found_json, advance.found_json);
  EXPECT_EQ((*stages)[0].evidence_json, advance.evidence_json);
  EXPECT_EQ((*stages)[1].state, "running");
  EXPECT_EQ((*stages)[1].first_ordinal, 1);
  EXPECT_EQ((*stages)[1].n_trials, 1);
  auto info = store_->GetSweep(id);
  ASSERT_OK(info);
  EXPECT_EQ(info->sweep.n_trials, 2);

  RunAllQueued();
  advance.stage = 1;
  advance.found_json = R"({"drw_epoch":7})";
  advance.next_trials = {{"s2-0", "{}"}, {"s2-1", "{}"}};
  ASSERT_OK(store_->AdvanceStage(advance));
  EXPECT_EQ(StateOf(id), SweepState::kRunning);
  RunAllQueued();
  EXPECT_EQ(StateOf(id), SweepState::kDone);  // no stage waits any more: the last one is done with it
  ready = store_->StagesToAdvance();
  ASSERT_OK(ready);
  EXPECT_TRUE(ready->empty());
  auto history = store_->GetSweepHistory(id);
  ASSERT_OK(history);
  ASSERT_EQ(history->stages.size(), 3u);
  EXPECT_EQ(history->stages[2].state, "done");
  EXPECT_EQ(history->trials.size(), 4u);
}

TEST_F(StoreStagesTest, FailedStageFailsTheSweepAndSkipsTheRest) {
  const int64_t id = CreateStaged();
  RunAllQueued();
  ASSERT_OK(store_->FailStage(id, 0, "LR range test: no signal", R"({"rule":"x"})"));
  EXPECT_EQ(StateOf(id), SweepState::kFailed);
  auto stages = store_->ListStages(id);
  ASSERT_OK(stages);
  EXPECT_EQ((*stages)[0].state, "failed");
  EXPECT_EQ((*stages)[0].error, "LR range test: no signal");
  EXPECT_EQ((*stages)[1].state, "skipped");
  EXPECT_EQ((*stages)[2].state, "skipped");
  auto ready = store_->StagesToAdvance();
  ASSERT_OK(ready);
  EXPECT_TRUE(ready->empty());
  EXPECT_EQ(store_->FailStage(id, 0, "again", "{}").code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreStagesTest, CancelledSweepNeverAdvances) {
  const int64_t id = CreateStaged();
  ASSERT_OK(store_->CancelSweep(id));
  auto ready = store_->StagesToAdvance();
  ASSERT_OK(ready);
  EXPECT_TRUE(ready->empty());
}

}  // namespace
}  // namespace ltsweep::testing
