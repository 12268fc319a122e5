// What an attempt ran with (the trainer's start event: threads, BLAS, device)
// is kept on the attempt row: written with the metric report that carries it,
// read back with the attempts, per attempt, through a reopen.
#include <string>

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::seconds;

Lease LeaseOne(Store& store) {
  auto lease = store.LeaseNextTrial("w1", seconds(30));
  EXPECT_TRUE(lease.ok() && lease->has_value());
  return **lease;
}

TEST_F(StoreTest, AttemptRuntimeIsKeptOnItsAttemptRow) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  const Lease first = LeaseOne(*store_);

  // Before the start event: nothing recorded.
  auto info = store_->GetTrial(first.trial_id);
  ASSERT_OK(info);
  ASSERT_EQ(info->attempts.size(), 1u);
  EXPECT_FALSE(info->attempts[0].runtime.has_value());

  MetricBatch start;
  start.payloads.push_back({-1, "start", "{\"event\":\"start\"}"});
  start.runtime = AttemptRuntime{2, "OpenBLAS 0.3.21 Haswell", 1, "cpu"};
  ASSERT_OK(store_->ReportMetrics(first.trial_id, first.token, start));
  // A later batch without it leaves it as it is.
  MetricBatch epoch;
  epoch.metrics.push_back({0, "val_error", 0.5});
  ASSERT_OK(store_->ReportMetrics(first.trial_id, first.token, epoch));

  // The second attempt (after a crash) ran elsewhere, differently.
  FinishRequest crash;
  crash.outcome = AttemptOutcome::kFailedRetryable;
  crash.error = "trainer crashed";
  ASSERT_OK(store_->FinishAttempt(first.trial_id, first.token, crash));
  const Lease second = LeaseOne(*store_);
  ASSERT_EQ(second.attempt, 2);
  MetricBatch again;
  again.payloads.push_back({-1, "start", "{\"event\":\"start\"}"});
  again.payloads.push_back({-2, "", ""});  // a bad row: the rest of the batch, runtime included, stands
  again.runtime = AttemptRuntime{16, "", 0, "cuda:1"};
  ReportResult result;
  ASSERT_OK(store_->ReportMetrics(second.trial_id, second.token, again, &result));
  EXPECT_EQ(result.rows_rejected, 1);

  Reopen();
  auto history = store_->GetTrialHistory(first.trial_id);
  ASSERT_OK(history);
  ASSERT_EQ(history->attempts.size(), 2u);
  ASSERT_TRUE(history->attempts[0].runtime.has_value());
  const AttemptRuntime& a = *history->attempts[0].runtime;
  EXPECT_EQ(a.threads, 2);
  EXPECT_EQ(a.blas, "OpenBLAS 0.3.21 Haswell");
  EXPECT_EQ(a.blas_threads, 1);
  EXPECT_EQ(a.device, "cpu");
  ASSERT_TRUE(history->attempts[1].runtime.has_value());
  EXPECT_EQ(history->attempts[1].runtime->threads, 16);
  EXPECT_EQ(history->attempts[1].runtime->blas, "");
  EXPECT_EQ(history->attempts[1].runtime->device, "cuda:1");
}

TEST_F(StoreTest, AStaleAttemptCannotWriteItsRuntime) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  const Lease first = LeaseOne(*store_);
  clock_.Advance(seconds(31));
  ASSERT_OK(store_->ExpireLeases());
  const Lease second = LeaseOne(*store_);
  MetricBatch stale;
  stale.payloads.push_back({-1, "start", "{}"});
  stale.runtime = AttemptRuntime{4, "x", 1, "cpu"};
  EXPECT_FALSE(store_->ReportMetrics(first.trial_id, first.token, stale).ok());
  auto info = store_->GetTrial(second.trial_id);
  ASSERT_OK(info);
  for (const AttemptRecord& a : info->attempts) EXPECT_FALSE(a.runtime.has_value()) << a.attempt;
}

}  // namespace
}  // namespace ltsweep::testing
