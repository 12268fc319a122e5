// Trial logs in the store: chunks of an attempt's trainer stderr appended
// with ReportMetrics (fenced by the lease like metric rows), read back from
// any offset, idempotent when sent again, bounded to the last 1 MiB plus one
// chunk per attempt with the dropped bytes counted, kept per attempt, and
// refused one by one when bad (not UTF-8, too large, a negative offset).
#include <sqlite3.h>

#include <string>

#include <gtest/gtest.h>

#include "common/trial_logs.h"
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

MetricBatch Chunks(std::vector<LogChunk> chunks) {
  MetricBatch batch;
  batch.log_chunks = std::move(chunks);
  return batch;
}

TrialLog Read(Store& store, int64_t trial, int64_t from = 0, std::optional<int> attempt = std::nullopt,
              int64_t max_bytes = int64_t{1} << 20) {
  TrialLogRequest request;
  request.trial_id = trial;
  request.attempt = attempt;
  request.from_offset = from;
  request.max_bytes = max_bytes;
  auto log = store.GetTrialLogs(request);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? *log : TrialLog{};
}

class TrialLogsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  }
};

TEST_F(TrialLogsTest, AppendsReadsFromOffsetsAndIgnoresResentChunks) {
  // Before any attempt: nothing, and no error.
  TrialLog none = Read(*store_, 1);
  EXPECT_EQ(none.attempt, 0);
  EXPECT_EQ(none.text, "");

  const Lease lease = LeaseOne(*store_);
  ASSERT_OK(store_->ReportMetrics(lease.trial_id, lease.token, Chunks({{0, "line 1\n"}, {7, "line 2\n"}})));
  TrialLog log = Read(*store_, lease.trial_id);
  EXPECT_EQ(log.attempt, 1);
  EXPECT_EQ(log.attempt_state, "running");
  EXPECT_FALSE(log.finished);
  EXPECT_EQ(log.text, "line 1\nline 2\n");
  EXPECT_EQ(log.next_offset, 14);
  EXPECT_EQ(log.dropped_bytes, 0);

  // A retry sends the same chunks again (and one overlapping the end): no
  // duplicate text, only the new part is kept.
  ASSERT_OK(store_->ReportMetrics(lease.trial_id, lease.token, Chunks({{7, "line 2\n"}})));
  ASSERT_OK(store_->ReportMetrics(lease.trial_id, lease.token, Chunks({{7, "line 2\nline 3\n"}})));
  log = Read(*store_, lease.trial_id);
  EXPECT_EQ(log.text, "line 1\nline 2\nline 3\n");
  EXPECT_EQ(log.end_offset, 21);

  // Only what is new after an offset.
  log = Read(*store_, lease.trial_id, 14);
  EXPECT_EQ(log.text, "line 3\n");
  EXPECT_EQ(log.next_offset, 21);
  log = Read(*store_, lease.trial_id, 21);
  EXPECT_EQ(log.text, "");
  EXPECT_EQ(log.next_offset, 21);
  // From inside a chunk, and with a small max_bytes (cut at a character).
  log = Read(*store_, lease.trial_id, 3);
  EXPECT_EQ(log.text, "e 1\nline 2\nline 3\n");
  ASSERT_OK(store_->ReportMetrics(lease.trial_id, lease.token, Chunks({{21, "\xc3\xa9t\xc3\xa9\n"}})));
  log = Read(*store_, lease.trial_id, 21, std::nullopt, 2);
  EXPECT_EQ(log.text, "\xc3\xa9");
  EXPECT_EQ(log.next_offset, 23);
  log = Read(*store_, lease.trial_id, 22);  // inside the é: starts at the next character
  EXPECT_EQ(log.text, "t\xc3\xa9\n");

  // A worker that skipped bytes (its own bound): the gap reads as dropped.
  ASSERT_OK(store_->ReportMetrics(lease.trial_id, lease.token, Chunks({{100, "after a gap\n"}})));
  log = Read(*store_, lease.trial_id, 21);
  EXPECT_EQ(log.text, "\xc3\xa9t\xc3\xa9\nafter a gap\n");
  EXPECT_EQ(log.dropped_bytes, 100 - 27);
  EXPECT_EQ(log.next_offset, 112);

  // Past the end: refused, naming the end.
  TrialLogRequest past;
  past.trial_id = lease.trial_id;
  past.from_offset = 113;
  auto refused = store_->GetTrialLogs(past);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("112"), std::string::npos) << refused.status().message();

  // The finish ends the log: finished, and it survives a reopen.
  ASSERT_OK(store_->FinishAttempt(lease.trial_id, lease.token, FinishRequest{}));
  Reopen();
  log = Read(*store_, lease.trial_id);
  EXPECT_TRUE(log.finished);
  EXPECT_EQ(log.attempt_state, "succeeded");
  EXPECT_EQ(log.end_offset, 112);
}

TEST_F(TrialLogsTest, KeepsTheLastMebibytePlusOneChunkAndCountsWhatWasDropped) {
  const Lease lease = LeaseOne(*store_);
  const std::string chunk(static_cast<size_t>(kTrialLogChunkBytes), 'x');
  const int kChunks = 40;  // 2.5 MiB
  int64_t offset = 0;
  for (int i = 0; i < kChunks; i += 4) {
    std::vector<LogChunk> batch;
    for (int k = 0; k < 4; ++k, offset += kTrialLogChunkBytes) batch.push_back({offset, chunk});
    ASSERT_OK(store_->ReportMetrics(lease.trial_id, lease.token, Chunks(batch)));
  }
  TrialLog log = Read(*store_, lease.trial_id, 0, std::nullopt, kTrialLogMaxReadBytes);
  EXPECT_EQ(log.end_offset, offset);
  EXPECT_GE(log.kept_bytes, kTrialLogKeepBytes);
  EXPECT_LE(log.kept_bytes, kTrialLogKeepBytes + kTrialLogChunkBytes);
  EXPECT_EQ(static_cast<int64_t>(log.text.size()), log.kept_bytes);
  EXPECT_EQ(log.dropped_bytes, offset - log.kept_bytes);
  EXPECT_EQ(log.next_offset, offset);
  // What the table holds is bounded too.
  EXPECT_EQ(RawQuery(path_, "SELECT sum(bytes) FROM trial_log_chunks"), std::to_string(log.kept_bytes));

  // A chunk sent again after its bytes were dropped changes nothing.
  ASSERT_OK(store_->ReportMetrics(lease.trial_id, lease.token, Chunks({{0, chunk}})));
  EXPECT_EQ(Read(*store_, lease.trial_id).kept_bytes, log.kept_bytes);
}

TEST_F(TrialLogsTest, EachAttemptHasItsOwnLogAndStaleTokensAreRefused) {
  const Lease first = LeaseOne(*store_);
  ASSERT_OK(store_->ReportMetrics(first.trial_id, first.token, Chunks({{0, "first attempt\n"}})));
  FinishRequest crash;
  crash.outcome = AttemptOutcome::kFailedRetryable;
  crash.error = "crashed";
  ASSERT_OK(store_->FinishAttempt(first.trial_id, first.token, crash));
  // The old attempt's worker cannot append any more.
  Status stale = store_->ReportMetrics(first.trial_id, first.token, Chunks({{14, "late\n"}}));
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition);

  const Lease second = LeaseOne(*store_);
  ASSERT_OK(store_->ReportMetrics(second.trial_id, second.token, Chunks({{0, "second attempt\n"}})));
  EXPECT_EQ(Read(*store_, first.trial_id).text, "second attempt\n");
  EXPECT_EQ(Read(*store_, first.trial_id).attempt, 2);
  TrialLog old = Read(*store_, first.trial_id, 0, 1);
  EXPECT_EQ(old.text, "first attempt\n");
  EXPECT_TRUE(old.finished);
  EXPECT_EQ(old.attempt_state, "failed");

  TrialLogRequest missing;
  missing.trial_id = first.trial_id;
  missing.attempt = 3;
  EXPECT_EQ(store_->GetTrialLogs(missing).status().code(), StatusCode::kNotFound);
  missing.trial_id = 99;
  missing.attempt.reset();
  EXPECT_EQ(store_->GetTrialLogs(missing).status().code(), StatusCode::kNotFound);
}

TEST_F(TrialLogsTest, BadChunksAreRejectedOneByOne) {
  const Lease lease = LeaseOne(*store_);
  MetricBatch batch = Chunks({{0, "good\n"},
                              {5, "bad \xff byte\n"},
                              {-1, "negative\n"},
                              {5, std::string(static_cast<size_t>(kTrialLogChunkBytes) + 1, 'y')},
                              {5, ""}});
  batch.metrics.push_back({0, "val_error", 0.5});
  ReportResult result;
  ASSERT_OK(store_->ReportMetrics(lease.trial_id, lease.token, batch, &result));
  EXPECT_EQ(result.rows_rejected, 4);
  EXPECT_NE(result.first_rejection.find("not valid UTF-8"), std::string::npos) << result.first_rejection;
  EXPECT_EQ(Read(*store_, lease.trial_id).text, "good\n");
  auto metrics = store_->GetMetrics(lease.trial_id);
  ASSERT_OK(metrics);
  EXPECT_EQ(metrics->metrics.size(), 1u) << "the rest of the batch stands";
}

}  // namespace
}  // namespace ltsweep::testing
