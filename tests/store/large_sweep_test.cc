// Store: sweeps of many trials (issue 14), 20,000 trials on a real file.
// Counts kept with every state change equal a GROUP BY over the trials;
// pages return every trial exactly once while trials change state; a reader
// is not held up by an open write transaction; a large submit goes in chunks
// that leases interleave with; a writer killed mid-submit leaves a sweep no
// lease comes from, and the next coordinator start removes it.
#include <signal.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/test_util.h"

#ifndef LTSWEEP_SUBMIT_WRITER
#error "LTSWEEP_SUBMIT_WRITER must name the ltsweep_submit_writer binary"
#endif

namespace ltsweep::testing {
namespace {

constexpr int kTrials = 20'000;

// A sweep of `n` trials with train.epochs = 1 + i % 5.
NewSweep BigSweep(const std::string& name, int n) {
  NewSweep sweep = MakeSweep(name, n, name);
  for (int i = 0; i < n; ++i) {
    sweep.trials[static_cast<size_t>(i)].config_json =
        "{\"train\":{\"epochs\":" + std::to_string(1 + i % 5) + ",\"seed\":" + std::to_string(i) + "}}";
  }
  return sweep;
}

// The truth, from the trials themselves: state -> (trials, epochs).
std::map<std::string, std::pair<int, int64_t>> GroupByTruth(const std::string& path, int64_t sweep_id) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT status, count(*), sum(json_extract(config_json, '$.train.epochs')) "
                               "FROM trials WHERE sweep_id = ? GROUP BY status",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  sqlite3_bind_int64(stmt, 1, sweep_id);
  std::map<std::string, std::pair<int, int64_t>> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] = {sqlite3_column_int(stmt, 1),
                                                                         sqlite3_column_int64(stmt, 2)};
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

std::map<std::string, std::pair<int, int64_t>> Counted(const SweepInfo& info) {
  std::map<std::string, std::pair<int, int64_t>> out;
  for (int s = 0; s < 7; ++s) {
    const auto state = static_cast<TrialState>(s);
    TrialCounts counts = info.counts;
    if (counts.at(state) != 0 || counts.epochs_at(state) != 0) {
      out[TrialStateName(state)] = {counts.at(state), counts.epochs_at(state)};
    }
  }
  return out;
}

class LargeSweepTest : public StoreTest {
 protected:
  // Leases `n` trials to w1 and ends them: succeeded, failed (permanent),
  // requeued (retryable), or left running, in turn.
  void Churn(int n) {
    for (int i = 0; i < n; ++i) {
      auto lease = store_->LeaseNextTrial("w1", std::chrono::minutes(10));
      ASSERT_OK(lease);
      ASSERT_TRUE(lease->has_value());
      const Lease& l = **lease;
      FinishRequest finish;
      switch (i % 4) {
        case 0:
          finish.outcome = AttemptOutcome::kSucceeded;
          finish.best_metric = 0.1;
          break;
        case 1:
          finish.outcome = AttemptOutcome::kFailedPermanent;
          break;
        case 2:
          finish.outcome = AttemptOutcome::kFailedRetryable;
          break;
        default:
          ASSERT_OK(store_->RenewLease(l.trial_id, l.token, std::chrono::minutes(10)));  // running
          continue;
      }
      ASSERT_OK(store_->FinishAttempt(l.trial_id, l.token, finish));
    }
  }
};

TEST_F(LargeSweepTest, CountsEqualTheGroupByTruthThroughEveryKindOfChange) {
  auto big = store_->CreateSweep(BigSweep("big", kTrials));
  ASSERT_OK(big);
  EXPECT_EQ(big->n_queued, kTrials);
  auto other = store_->CreateSweep(BigSweep("other", 300));
  ASSERT_OK(other);
  Churn(200);  // on big (older, same priority): leases, finishes, retries
  ASSERT_OK(store_->CancelSweep(other->sweep_id));
  clock_.Advance(std::chrono::minutes(20));
  auto expired = store_->ExpireLeases();  // the running ones are lost and requeued
  ASSERT_OK(expired);
  EXPECT_FALSE(expired->empty());
  // Linked trials: a third sweep reusing big's successes.
  NewSweep again = BigSweep("big", 100);  // the same hashes as big's first 100
  again.name = "again";
  auto linked = store_->CreateSweep(again);
  ASSERT_OK(linked);
  EXPECT_GT(linked->n_linked, 0);

  for (int64_t id : {big->sweep_id, other->sweep_id, linked->sweep_id}) {
    auto info = store_->GetSweep(id);
    ASSERT_OK(info);
    EXPECT_EQ(Counted(*info), GroupByTruth(path_, id)) << "sweep " << id;
  }
  auto big_info = store_->GetSweep(big->sweep_id);
  ASSERT_OK(big_info);
  EXPECT_EQ(big_info->counts.total(), kTrials);
  EXPECT_EQ(big_info->counts.succeeded, 50);
}

TEST_F(LargeSweepTest, CountsOfAnOlderDatabaseAreFilledByTheMigration) {
  auto created = store_->CreateSweep(BigSweep("old", 500));
  ASSERT_OK(created);
  Churn(40);
  store_.reset();
  {
    // Back to the schema before the counts; the migration rebuilds them.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const char* sql =
        "DROP TRIGGER trials_count_insert; DROP TRIGGER trials_count_update; DROP TRIGGER trials_count_delete;"
        "DROP INDEX trials_by_source; DROP TABLE sweep_trial_counts; ALTER TABLE sweeps DROP COLUMN submitting;"
        "ALTER TABLE trials DROP COLUMN epochs;"
        // The migrations after kMigrationLargeSweeps, undone too.
        "DROP TABLE trial_log_chunks; DROP TABLE trial_logs;"
        "";
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    const std::string version = "PRAGMA user_version = " + std::to_string(Store::LatestSchemaVersion() - 2);
    ASSERT_EQ(sqlite3_exec(db, version.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  Reopen();
  auto info = store_->GetSweep(created->sweep_id);
  ASSERT_OK(info);
  EXPECT_EQ(Counted(*info), GroupByTruth(path_, created->sweep_id));
  EXPECT_EQ(info->counts.total(), 500);
}

TEST_F(LargeSweepTest, PagesReturnEveryTrialOnceInOrderWhileTrialsChangeState) {
  auto created = store_->CreateSweep(BigSweep("paged", kTrials));
  ASSERT_OK(created);
  TrialPageRequest request;
  request.sweep_id = created->sweep_id;
  request.limit = 1000;
  std::vector<int64_t> seen;
  int64_t last_ordinal = -1;
  int pages = 0;
  for (;;) {
    auto page = store_->ListTrialsPage(request);
    ASSERT_OK(page);
    ++pages;
    for (const TrialHistory& t : page->trials) {
      EXPECT_GT(t.trial.ordinal, last_ordinal);
      last_ordinal = t.trial.ordinal;
      EXPECT_TRUE(t.trial.config_json.empty()) << "lean unless asked";
      seen.push_back(t.trial.id);
    }
    if (!page->next_after_ordinal) break;
    request.after_ordinal = *page->next_after_ordinal;
    Churn(30);  // trials before and after the cursor change state
  }
  EXPECT_EQ(pages, kTrials / 1000);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kTrials));
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), seen.size()) << "a trial came twice";
  EXPECT_EQ(std::vector<int64_t>(seen.begin(), seen.end()), created->trial_ids);
}

TEST_F(LargeSweepTest, PagesCarryConfigsHistoriesAndStateFiltersWhenAsked) {
  auto created = store_->CreateSweep(BigSweep("filtered", 3000));
  ASSERT_OK(created);
  Churn(40);  // 10 succeeded, 10 failed, 10 requeued, 10 running
  TrialPageRequest request;
  request.sweep_id = created->sweep_id;
  request.limit = 7;
  request.states = {TrialState::kRunning, TrialState::kSucceeded};
  request.with_config = true;
  request.with_history = true;
  int running = 0, succeeded = 0;
  for (;;) {
    auto page = store_->ListTrialsPage(request);
    ASSERT_OK(page);
    for (const TrialHistory& t : page->trials) {
      EXPECT_FALSE(t.trial.config_json.empty());
      EXPECT_FALSE(t.attempts.empty());
      running += t.trial.state == TrialState::kRunning;
      succeeded += t.trial.state == TrialState::kSucceeded;
    }
    if (!page->next_after_ordinal) break;
    request.after_ordinal = *page->next_after_ordinal;
  }
  EXPECT_EQ(running, 10);
  EXPECT_EQ(succeeded, 10);
  request.after_ordinal = -1;
  request.max_bytes = 1;  // at least one trial per page
  auto one = store_->ListTrialsPage(request);
  ASSERT_OK(one);
  EXPECT_EQ(one->trials.size(), 1u);
  EXPECT_TRUE(one->next_after_ordinal.has_value());
  request.limit = 0;
  EXPECT_EQ(store_->ListTrialsPage(request).status().code(), StatusCode::kInvalidArgument);
  request.limit = 5;
  request.sweep_id = 999;
  EXPECT_EQ(store_->ListTrialsPage(request).status().code(), StatusCode::kNotFound);
}

TEST(LargeSweepReaderTest, AReaderIsNotHeldUpByAnOpenWriteTransaction) {
  TempDir dir;
  const std::string path = dir.File("held.db");
  std::promise<void> holding;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> hold{false};
  StoreOptions options;
  options.before_commit = [&]() {
    if (hold.exchange(false)) {  // this one write stays open until released
      holding.set_value();
      released.wait();
    }
    return Status::Ok();
  };
  auto store = Store::Open(path, options);
  ASSERT_OK(store);
  auto created = (*store)->CreateSweep(BigSweep("read", 100));
  ASSERT_OK(created);
  ASSERT_OK((*store)->RegisterWorker({"w1", "h", 1, {}}));
  hold = true;
  auto writer = std::async(std::launch::async, [&] {
    return (*store)->LeaseNextTrial("w1", std::chrono::minutes(1)).status();
  });
  holding.get_future().wait();  // the lease's transaction is open, not committed
  // Reads answer from the last commit, without waiting for the writer.
  auto reads = std::async(std::launch::async, [&] {
    auto sweep = (*store)->GetSweep(created->sweep_id);
    TrialPageRequest request;
    request.sweep_id = created->sweep_id;
    auto page = (*store)->ListTrialsPage(request);
    auto events = (*store)->ListEvents(EventFilter());
    return sweep.ok() && page.ok() && events.ok() && sweep->counts.queued == 100 && sweep->counts.leased == 0 &&
           page->trials.size() == 100;
  });
  const bool answered = reads.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  release.set_value();
  ASSERT_TRUE(answered) << "a read waited for the open write transaction";
  EXPECT_TRUE(reads.get()) << "the read saw something other than the last commit";
  EXPECT_OK(writer.get());
  auto after = (*store)->GetSweep(created->sweep_id);
  ASSERT_OK(after);
  EXPECT_EQ(after->counts.leased, 1);
}

TEST(LargeSweepSubmitTest, ALargeSubmitGoesInChunksThatLeasesInterleaveWith) {
  TempDir dir;
  StoreOptions options;
  options.submit_chunk_trials = 500;
  int64_t big_id = 0;
  std::atomic<bool> submitting{false};
  std::atomic<int> commits_while_submitting{0};
  options.before_commit = [&]() {
    if (submitting.load()) ++commits_while_submitting;
    return Status::Ok();
  };
  auto store = Store::Open(dir.File("chunks.db"), options);
  ASSERT_OK(store);
  auto small = (*store)->CreateSweep(BigSweep("small", 50));
  ASSERT_OK(small);
  ASSERT_OK((*store)->RegisterWorker({"w1", "h", 1, {}}));
  submitting = true;
  auto submit = std::async(std::launch::async, [&] { return (*store)->CreateSweep(BigSweep("big", kTrials)); });
  // While it runs: the big sweep shows as submitting, leases come from the
  // small one only.
  bool saw_submitting = false;
  int leased_meanwhile = 0, leased_big = 0;
  while (submit.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    auto newest = (*store)->ListSweeps(1);
    ASSERT_OK(newest);
    if (!newest->empty() && newest->front().sweep.state == SweepState::kSubmitting) {
      saw_submitting = true;
      big_id = newest->front().sweep.id;
      EXPECT_LE(newest->front().counts.total(), kTrials);
      // (The submit may complete between the read above and this lease: a
      // lease from the big sweep is checked against the event log below.)
      auto lease = (*store)->LeaseNextTrial("w1", std::chrono::minutes(1));
      ASSERT_OK(lease);
      if (lease->has_value()) ++((*lease)->sweep_id == small->sweep_id ? leased_meanwhile : leased_big);
    }
  }
  submitting = false;
  auto created = submit.get();
  ASSERT_OK(created);
  EXPECT_TRUE(saw_submitting);
  EXPECT_GT(leased_meanwhile, 0);
  EXPECT_EQ(created->sweep_id, big_id);
  EXPECT_EQ(created->n_queued, kTrials);
  EXPECT_GE(commits_while_submitting.load(), kTrials / 500 + 2) << "not chunked";
  // Nothing was leased from the big sweep before it was opened: its first
  // event is sweep_submitted, every trial_leased comes after.
  EventFilter filter;
  filter.sweep_id = created->sweep_id;
  filter.limit = 0;
  auto events = (*store)->ListEvents(filter);
  ASSERT_OK(events);
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->front().kind, "sweep_submitted");
  auto info = (*store)->GetSweep(created->sweep_id);
  ASSERT_OK(info);
  EXPECT_EQ(info->sweep.state, leased_big > 0 ? SweepState::kRunning : SweepState::kPending);
  EXPECT_EQ(info->counts.queued, kTrials - leased_big);
  EXPECT_EQ(info->counts.leased, leased_big);
  EXPECT_EQ((*store)->CancelSweep(created->sweep_id).status().code(), StatusCode::kOk);
}

// The submit writer, killed inside the transaction of its third chunk.
TEST(LargeSweepSubmitTest, AWriterKilledMidSubmitLeavesNoSweepToLeaseAndIsRolledBack) {
  TempDir dir;
  const std::string db = dir.File("killed.db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(LTSWEEP_SUBMIT_WRITER, LTSWEEP_SUBMIT_WRITER, db.c_str(), "20000", "1000", "3",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  FILE* out = fdopen(fds[0], "r");
  char line[128] = {0};
  const bool held = fgets(line, sizeof line, out) != nullptr;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  fclose(out);
  ASSERT_TRUE(held) << "the writer ended before holding";
  EXPECT_EQ(std::string(line), "holding 3\n");

  StoreOptions options;
  options.submit_chunk_trials = 1000;
  auto store = Store::Open(db, options);
  ASSERT_OK(store);
  auto sweeps = (*store)->ListSweeps();
  ASSERT_OK(sweeps);
  ASSERT_EQ(sweeps->size(), 1u);
  const SweepInfo& half = sweeps->front();
  EXPECT_EQ(half.sweep.state, SweepState::kSubmitting);
  EXPECT_EQ(half.counts.queued, 2000) << "two chunks were committed before the kill";
  ASSERT_OK((*store)->RegisterWorker({"w1", "h", 1, {}}));
  auto lease = (*store)->LeaseNextTrial("w1", std::chrono::minutes(1));
  ASSERT_OK(lease);
  EXPECT_FALSE(lease->has_value()) << "a lease came from a half-submitted sweep";

  auto rolled_back = (*store)->RollBackUnfinishedSubmits();
  ASSERT_OK(rolled_back);
  EXPECT_EQ(*rolled_back, std::vector<int64_t>{half.sweep.id});
  EXPECT_EQ((*store)->GetSweep(half.sweep.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(GroupByTruth(db, half.sweep.id).empty()) << "trials of the rolled-back sweep remain";
  auto events = (*store)->RecentEvents(1);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().kind, "sweep_submit_rolled_back");
  EXPECT_OK((*store)->CheckIntegrity());
}

}  // namespace
}  // namespace ltsweep::testing
