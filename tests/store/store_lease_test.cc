// Store: the scheduler's state machine — leases, expiry, fencing, retries,
// priorities, linking of known configs and cancellation. Time moves only
// through the FakeClock.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::seconds;

class StoreLeaseTest : public StoreTest {
 protected:
  Lease MustLease(const std::string& worker = "w1") {
    auto lease = store_->LeaseNextTrial(worker, seconds(30));
    EXPECT_OK(lease);
    if (!lease.ok() || !lease->has_value()) {
      ADD_FAILURE() << "no trial to lease";
      return {};
    }
    return **lease;
  }

  MetricBatch OneRow(int epoch, double value) {
    MetricBatch batch;
    batch.metrics.push_back({epoch, "val_error", value});
    return batch;
  }

  size_t MetricRows(int64_t trial_id, int attempt) {
    auto m = store_->GetMetrics(trial_id, attempt);
    EXPECT_OK(m);
    return m.ok() ? m->metrics.size() : 0;
  }
};

TEST_F(StoreLeaseTest, NothingQueuedMeansNoLease) {
  auto lease = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(lease);
  EXPECT_FALSE(lease->has_value());
  EXPECT_EQ(store_->LeaseNextTrial("stranger", seconds(30)).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaseNextTrial("w1", seconds(0)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(StoreLeaseTest, PriorityFirstThenOldestSweepThenOrdinal) {
  auto low = store_->CreateSweep(MakeSweep("low", 2, "low", /*priority=*/0));
  auto high1 = store_->CreateSweep(MakeSweep("high1", 2, "high1", /*priority=*/5));
  auto high2 = store_->CreateSweep(MakeSweep("high2", 1, "high2", /*priority=*/5));
  ASSERT_OK(low);
  ASSERT_OK(high1);
  ASSERT_OK(high2);
  std::vector<int64_t> expected = {high1->trial_ids[0], high1->trial_ids[1],
                                   high2->trial_ids[0], low->trial_ids[0], low->trial_ids[1]};
  std::vector<int64_t> got;
  for (size_t i = 0; i < expected.size(); ++i) got.push_back(MustLease().trial_id);
  EXPECT_EQ(got, expected);
  auto none = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(StoreLeaseTest, RenewExtendsTheDeadlineAndMarksRunning) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h"));
  ASSERT_OK(created);
  Lease l = MustLease();
  clock_.Advance(seconds(20));
  auto deadline = store_->RenewLease(l.trial_id, l.token, seconds(30));
  ASSERT_OK(deadline);
  EXPECT_EQ(*deadline, clock_.NowMillis() + 30000);
  clock_.Advance(seconds(20));  // past the first deadline, within the renewed one
  auto expired = store_->ExpireLeases();
  ASSERT_OK(expired);
  EXPECT_TRUE(expired->empty());
  auto trial = store_->GetTrial(l.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kRunning);
  EXPECT_EQ(trial->trial.lease_deadline_ms, *deadline);

  // A heartbeat renews too, and answers per lease.
  auto answers = store_->Heartbeat("w1", {{l.trial_id, l.token}, {l.trial_id, "bogus"}},
                                   seconds(30));
  ASSERT_OK(answers);
  ASSERT_EQ(answers->size(), 2u);
  EXPECT_TRUE((*answers)[0].alive);
  EXPECT_EQ((*answers)[0].deadline_ms, clock_.NowMillis() + 30000);
  EXPECT_FALSE((*answers)[1].alive);
  EXPECT_NE((*answers)[1].reason.find("stale token"), std::string::npos);
}

TEST_F(StoreLeaseTest, ALeaseTokenIsGoodOnlyFromTheWorkerItWasIssuedTo) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  ASSERT_OK(store_->RegisterWorker({"w2", "host-b", 1, {}}));
  Lease l = MustLease("w1");
  MetricBatch from_w2 = OneRow(0, 0.9);
  from_w2.worker_id = "w2";
  Status refused = store_->ReportMetrics(l.trial_id, l.token, from_w2);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("was not leased to worker w2"), std::string::npos) << refused.ToString();
  MetricBatch from_w1 = OneRow(0, 0.9);
  from_w1.worker_id = "w1";
  EXPECT_OK(store_->ReportMetrics(l.trial_id, l.token, from_w1));

  auto answers = store_->Heartbeat("w2", {{l.trial_id, l.token}}, seconds(30));
  ASSERT_OK(answers);
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_FALSE((*answers)[0].alive);

  FinishRequest finish;
  finish.worker_id = "w2";
  EXPECT_EQ(store_->FinishAttempt(l.trial_id, l.token, finish).status().code(), StatusCode::kFailedPrecondition);
  finish.worker_id = "w1";
  EXPECT_OK(store_->FinishAttempt(l.trial_id, l.token, finish));
}

TEST_F(StoreLeaseTest, AnExpiredLeaseComesBackAsTheNextAttempt) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h"));
  ASSERT_OK(created);
  ASSERT_OK(store_->RegisterWorker({"w2", "host-b", 1, {}}));
  Lease first = MustLease("w1");
  ASSERT_OK(store_->ReportMetrics(first.trial_id, first.token, OneRow(0, 0.9)));

  clock_.Advance(seconds(31));
  // Past the deadline the old token no longer renews, even before expiry runs.
  auto renew = store_->RenewLease(first.trial_id, first.token, seconds(30));
  EXPECT_EQ(renew.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(renew.status().message().rfind("lease gone", 0), 0u) << renew.status().ToString();

  auto expired = store_->ExpireLeases();
  ASSERT_OK(expired);
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].trial_id, first.trial_id);
  EXPECT_EQ((*expired)[0].attempt, 1);
  EXPECT_EQ((*expired)[0].worker_id, "w1");
  EXPECT_TRUE((*expired)[0].requeued);

  auto trial = store_->GetTrial(first.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kQueued);
  EXPECT_TRUE(trial->trial.lease_token.empty());
  ASSERT_EQ(trial->attempts.size(), 1u);
  EXPECT_EQ(trial->attempts[0].state, AttemptState::kLost);
  EXPECT_NE(trial->attempts[0].error.find("expired"), std::string::npos);

  Lease second = MustLease("w2");
  EXPECT_EQ(second.trial_id, first.trial_id);
  EXPECT_EQ(second.attempt, 2);
  EXPECT_NE(second.token, first.token);
  ASSERT_OK(store_->ReportMetrics(second.trial_id, second.token, OneRow(0, 0.8)));
  auto finish = store_->FinishAttempt(second.trial_id, second.token, {});
  ASSERT_OK(finish);
  EXPECT_EQ(finish->trial_state, TrialState::kSucceeded);

  // The latest attempt's rows are the trial's; attempt 1's stay readable.
  auto m = store_->GetMetrics(first.trial_id);
  ASSERT_OK(m);
  EXPECT_EQ(m->attempt, 2);
  ASSERT_EQ(m->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(m->metrics[0].value, 0.8);
  EXPECT_EQ(MetricRows(first.trial_id, 1), 1u);

  auto events = store_->ListEvents({0, std::nullopt, first.trial_id, 100});
  ASSERT_OK(events);
  bool saw_expiry = false;
  for (const EventRecord& e : *events) saw_expiry = saw_expiry || e.kind == "lease_expired";
  EXPECT_TRUE(saw_expiry);
}

TEST_F(StoreLeaseTest, AStaleTokenWritesNothing) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  Lease first = MustLease();
  clock_.Advance(seconds(31));
  ASSERT_OK(store_->ExpireLeases());
  Lease second = MustLease();
  ASSERT_OK(store_->ReportMetrics(second.trial_id, second.token, OneRow(0, 0.7)));

  // The frozen first worker wakes up and reports: refused, nothing written.
  MetricBatch late = OneRow(0, 0.1);
  late.metrics.push_back({1, "val_error", 0.05});
  late.per_class.push_back({0, "error", 0, 0.3});
  late.payloads.push_back({-1, "done", "{}"});
  Status report = store_->ReportMetrics(first.trial_id, first.token, late);
  EXPECT_EQ(report.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(report.message().find("stale token"), std::string::npos) << report.ToString();
  auto finish = store_->FinishAttempt(first.trial_id, first.token,
                                      {0, AttemptOutcome::kSucceeded, "", 0.05, 0.05, 1});
  EXPECT_EQ(finish.status().code(), StatusCode::kFailedPrecondition);

  auto m1 = store_->GetMetrics(first.trial_id, 1);
  ASSERT_OK(m1);
  EXPECT_TRUE(m1->metrics.empty());
  EXPECT_TRUE(m1->per_class.empty());
  EXPECT_TRUE(m1->payloads.empty());
  auto m2 = store_->GetMetrics(first.trial_id, 2);
  ASSERT_OK(m2);
  ASSERT_EQ(m2->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(m2->metrics[0].value, 0.7);
  auto trial = store_->GetTrial(first.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kRunning);
  EXPECT_EQ(trial->trial.attempts, 2);
  EXPECT_DOUBLE_EQ(trial->trial.best_metric.value_or(-1), 0.7);
  EXPECT_EQ(trial->attempts[0].state, AttemptState::kLost);
  EXPECT_EQ(trial->attempts[1].state, AttemptState::kRunning);
}

TEST_F(StoreLeaseTest, MaxAttemptsEndsInFailureWithTheLastError) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h", 0, /*max_attempts=*/3));
  ASSERT_OK(created);
  // Attempt 1 crashes (try 1), attempt 2 is interrupted by its worker (no
  // try used), attempt 3 crashes (try 2), attempt 4's lease expires (try 3).
  Lease a1 = MustLease();
  auto f1 = store_->FinishAttempt(a1.trial_id, a1.token,
                                  {139, AttemptOutcome::kFailedRetryable, "segfault", {}, {}, {}});
  ASSERT_OK(f1);
  EXPECT_TRUE(f1->requeued);
  EXPECT_EQ(f1->trial_state, TrialState::kQueued);
  Lease a2 = MustLease();
  EXPECT_EQ(a2.attempt, 2);
  auto f2 = store_->FinishAttempt(a2.trial_id, a2.token,
                                  {4, AttemptOutcome::kInterrupted, "", {}, {}, {}});
  ASSERT_OK(f2);
  EXPECT_TRUE(f2->requeued);
  Lease a3 = MustLease();
  EXPECT_EQ(a3.attempt, 3);
  auto f3 = store_->FinishAttempt(a3.trial_id, a3.token,
                                  {134, AttemptOutcome::kFailedRetryable, "abort", {}, {}, {}});
  ASSERT_OK(f3);
  EXPECT_TRUE(f3->requeued);
  Lease a4 = MustLease();
  EXPECT_EQ(a4.attempt, 4);
  clock_.Advance(seconds(31));
  auto expired = store_->ExpireLeases();
  ASSERT_OK(expired);
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_FALSE((*expired)[0].requeued);

  auto trial = store_->GetTrial(a1.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kFailed);
  EXPECT_NE(trial->trial.error.find("attempt 4 lost (3 of 3 tries used)"), std::string::npos)
      << trial->trial.error;
  ASSERT_EQ(trial->attempts.size(), 4u);
  EXPECT_EQ(trial->attempts[0].state, AttemptState::kFailed);
  EXPECT_EQ(trial->attempts[0].exit_code, 139);
  EXPECT_EQ(trial->attempts[0].error, "segfault");
  EXPECT_EQ(trial->attempts[1].state, AttemptState::kInterrupted);
  EXPECT_EQ(trial->attempts[2].state, AttemptState::kFailed);
  EXPECT_EQ(trial->attempts[3].state, AttemptState::kLost);
  auto none = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  auto sweep = store_->GetSweep(created->sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kFailed);  // no trial succeeded
}

// Workers restarted again and again (deploys, preemptible machines) must not
// fail a trial: interruptions never use up its tries.
TEST_F(StoreLeaseTest, InterruptionsByTheWorkerDoNotUseUpTries) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h", 0, /*max_attempts=*/1)));
  for (int i = 1; i <= 3; ++i) {
    Lease a = MustLease();
    EXPECT_EQ(a.attempt, i);
    auto f = store_->FinishAttempt(a.trial_id, a.token,
                                   {4, AttemptOutcome::kInterrupted, "worker stopping", {}, {}, {}});
    ASSERT_OK(f);
    EXPECT_TRUE(f->requeued) << "interruption " << i;
    EXPECT_EQ(f->trial_state, TrialState::kQueued);
  }
  // The one try it has: a crash now fails it.
  Lease last = MustLease();
  EXPECT_EQ(last.attempt, 4);
  auto f = store_->FinishAttempt(last.trial_id, last.token,
                                 {139, AttemptOutcome::kFailedRetryable, "segfault", {}, {}, {}});
  ASSERT_OK(f);
  EXPECT_FALSE(f->requeued);
  EXPECT_EQ(f->trial_state, TrialState::kFailed);
}

TEST_F(StoreLeaseTest, RetryableFailureOnTheLastAttemptKeepsItsError) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h", 0, /*max_attempts=*/1)));
  Lease a1 = MustLease();
  auto f1 = store_->FinishAttempt(a1.trial_id, a1.token,
                                  {134, AttemptOutcome::kFailedRetryable, "CUDA error: OOM",
                                   {}, {}, {}});
  ASSERT_OK(f1);
  EXPECT_FALSE(f1->requeued);
  EXPECT_EQ(f1->trial_state, TrialState::kFailed);
  auto trial = store_->GetTrial(a1.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.error, "CUDA error: OOM");
}

TEST_F(StoreLeaseTest, PermanentFailuresAreNotRetried) {
  auto created = store_->CreateSweep(MakeSweep("s", 2, "h"));
  ASSERT_OK(created);
  Lease a = MustLease();
  auto f = store_->FinishAttempt(
      a.trial_id, a.token,
      {2, AttemptOutcome::kFailedPermanent, "train.lr: must be > 0", {}, {}, {}});
  ASSERT_OK(f);
  EXPECT_FALSE(f->requeued);
  EXPECT_EQ(f->trial_state, TrialState::kFailed);
  Lease b = MustLease();
  EXPECT_EQ(b.trial_id, created->trial_ids[1]);  // the failed one is not handed out again
  ASSERT_OK(store_->FinishAttempt(b.trial_id, b.token, {}));
  auto trial = store_->GetTrial(a.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.error, "train.lr: must be > 0");
  EXPECT_EQ(trial->attempts[0].exit_code, 2);
  // One success is enough for the sweep to be done.
  auto sweep = store_->GetSweep(created->sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
  EXPECT_EQ(sweep->counts.failed, 1);
  EXPECT_EQ(sweep->counts.succeeded, 1);
}

TEST_F(StoreLeaseTest, SucceededConfigsAreLinkedUnlessRerun) {
  NewSweep first_spec = MakeSweep("first", 2, "h");
  auto first = store_->CreateSweep(first_spec);
  ASSERT_OK(first);
  Lease l = MustLease();
  MetricBatch batch = OneRow(0, 0.6);
  batch.metrics.push_back({1, "val_error", 0.3});
  batch.per_class.push_back({1, "error", 4, 0.5});
  ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, batch));
  ASSERT_OK(store_->FinishAttempt(l.trial_id, l.token, {}));
  // h-1 is still queued in the first sweep: not a success, so not linked.

  NewSweep second_spec = MakeSweep("second", 3, "h");
  auto second = store_->CreateSweep(second_spec);
  ASSERT_OK(second);
  EXPECT_EQ(second->n_linked, 1);
  EXPECT_EQ(second->n_queued, 2);
  auto trials = store_->ListTrials(second->sweep_id);
  ASSERT_OK(trials);
  const TrialRecord& linked = (*trials)[0];
  EXPECT_EQ(linked.state, TrialState::kLinked);
  EXPECT_EQ(linked.reused_from_trial_id, l.trial_id);
  EXPECT_DOUBLE_EQ(linked.best_metric.value_or(-1), 0.3);
  EXPECT_DOUBLE_EQ(linked.last_metric.value_or(-1), 0.3);
  EXPECT_EQ(linked.best_epoch, 1);
  EXPECT_EQ((*trials)[1].state, TrialState::kQueued);

  auto m = store_->GetMetrics(linked.id);
  ASSERT_OK(m);
  EXPECT_EQ(m->trial_id, linked.id);
  EXPECT_EQ(m->source_trial_id, l.trial_id);
  EXPECT_EQ(m->attempt, 1);
  EXPECT_EQ(m->metrics.size(), 2u);
  ASSERT_EQ(m->per_class.size(), 1u);
  EXPECT_EQ(m->per_class[0].class_index, 4);

  NewSweep rerun_spec = MakeSweep("rerun", 1, "h");
  rerun_spec.rerun = true;
  auto rerun = store_->CreateSweep(rerun_spec);
  ASSERT_OK(rerun);
  EXPECT_EQ(rerun->n_linked, 0);
  EXPECT_EQ(rerun->n_queued, 1);

  // A sweep made only of known configs is done at once.
  auto all_known = store_->CreateSweep(MakeSweep("again", 1, "h"));
  ASSERT_OK(all_known);
  auto sweep = store_->GetSweep(all_known->sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
  EXPECT_EQ(sweep->counts.linked, 1);
}

TEST_F(StoreLeaseTest, CancelStopsQueuedAndRunningTrials) {
  auto doomed = store_->CreateSweep(MakeSweep("doomed", 3, "d", /*priority=*/9));
  auto other = store_->CreateSweep(MakeSweep("other", 1, "o"));
  ASSERT_OK(doomed);
  ASSERT_OK(other);
  Lease running = MustLease();
  ASSERT_EQ(running.sweep_id, doomed->sweep_id);
  ASSERT_OK(store_->ReportMetrics(running.trial_id, running.token, OneRow(0, 0.5)));
  Lease finished = MustLease();
  ASSERT_OK(store_->FinishAttempt(finished.trial_id, finished.token, {}));

  auto cancelled = store_->CancelSweep(doomed->sweep_id);
  ASSERT_OK(cancelled);
  ASSERT_EQ(cancelled->size(), 1u);
  EXPECT_EQ((*cancelled)[0].trial_id, running.trial_id);
  EXPECT_EQ((*cancelled)[0].worker_id, "w1");
  EXPECT_EQ((*cancelled)[0].attempt, 1);

  auto sweep = store_->GetSweep(doomed->sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kCancelled);
  EXPECT_EQ(sweep->counts.cancelled, 2);
  EXPECT_EQ(sweep->counts.succeeded, 1);

  // The running trial's worker hears "lease gone" and cannot write any more.
  auto renew = store_->RenewLease(running.trial_id, running.token, seconds(30));
  EXPECT_EQ(renew.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(renew.status().message().rfind("lease gone", 0), 0u);
  auto answers = store_->Heartbeat("w1", {{running.trial_id, running.token}}, seconds(30));
  ASSERT_OK(answers);
  EXPECT_FALSE((*answers)[0].alive);
  EXPECT_NE((*answers)[0].reason.find("cancelled"), std::string::npos);
  EXPECT_EQ(store_->ReportMetrics(running.trial_id, running.token, OneRow(1, 0.4)).code(),
            StatusCode::kFailedPrecondition);
  auto trial = store_->GetTrial(running.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->attempts[0].state, AttemptState::kCancelled);

  // Only the other sweep is leased from now on; cancelling twice is a no-op.
  Lease next = MustLease();
  EXPECT_EQ(next.sweep_id, other->sweep_id);
  auto again = store_->CancelSweep(doomed->sweep_id);
  ASSERT_OK(again);
  EXPECT_TRUE(again->empty());
  auto workers = store_->ListWorkers();
  ASSERT_OK(workers);
  EXPECT_EQ((*workers)[0].current_trials, (std::vector<int64_t>{next.trial_id}));
}

TEST_F(StoreLeaseTest, LeasesSurviveARestartWithTheirDeadlines) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  Lease l = MustLease();
  Reopen();  // the coordinator was killed and started again
  clock_.Advance(seconds(10));
  auto expired = store_->ExpireLeases();
  ASSERT_OK(expired);
  EXPECT_TRUE(expired->empty());
  ASSERT_OK(store_->RenewLease(l.trial_id, l.token, seconds(30)));
  ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, OneRow(0, 0.5)));
  auto finish = store_->FinishAttempt(l.trial_id, l.token, {});
  ASSERT_OK(finish);
  EXPECT_EQ(finish->trial_state, TrialState::kSucceeded);
}

}  // namespace
}  // namespace ltsweep::testing
