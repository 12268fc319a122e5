// Store: group commit. Concurrent write calls share one transaction, each in
// its own savepoint: fencing stays per call (a stale token in a group is
// refused and the others commit), a failed commit fails the whole group and
// writes nothing, and concurrent writers each get their own results.
//
// To make a group without relying on timing, the first commit's
// before_commit hook holds the leader until the other calls are queued
// behind it; they then run as the next group.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/group_commit.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::seconds;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.clock = &clock_;
    options.token_seed = 7;
    options.before_commit = [this]() -> Status {
      ++commits_;
      if (hold_.exchange(false)) {
        held_ = true;
        // Wait (bounded) until the calls under test queue behind this one.
        const auto give_up = std::chrono::steady_clock::now() + seconds(20);
        while (store_->stats().queued_writes < wait_for_queued_ &&
               std::chrono::steady_clock::now() < give_up) {
          std::this_thread::yield();
        }
        return Status::Ok();
      }
      return fail_commits_ ? UnavailableError("injected commit failure") : Status::Ok();
    };
    auto store = Store::Open(dir_.File("group.db"), options);
    ASSERT_OK(store);
    store_ = std::move(store).value();
    ASSERT_OK(store_->RegisterWorker({"w1", "host-a", 4, {}}));
  }

  // Runs `calls` on threads of their own, all queued behind one held leader,
  // so that they commit as one group (checked).
  void RunAsOneGroup(const std::vector<std::function<void()>>& calls) {
    wait_for_queued_ = 1 + static_cast<int64_t>(calls.size());
    held_ = false;
    hold_ = true;
    std::thread leader([this] { EXPECT_OK(store_->RegisterWorker({"w2", "host-b", 1, {}})); });
    while (!held_.load()) std::this_thread::yield();
    const StoreStats before = store_->stats();
    std::vector<std::thread> threads;
    for (const auto& call : calls) threads.emplace_back(call);
    leader.join();
    for (auto& t : threads) t.join();
    const StoreStats after = store_->stats();
    // The leader's own transaction, then one for every queued call.
    EXPECT_EQ(after.write_transactions - before.write_transactions, 2);
    EXPECT_EQ(after.largest_group, static_cast<int64_t>(calls.size()));
  }

  Lease MustLease() {
    auto lease = store_->LeaseNextTrial("w1", seconds(30));
    EXPECT_OK(lease);
    if (!lease.ok() || !lease->has_value()) {
      ADD_FAILURE() << "no trial to lease";
      return {};
    }
    return **lease;
  }

  MetricBatch Rows(int epoch, double value) {
    MetricBatch batch;
    batch.metrics.push_back({epoch, "val_error", value});
    batch.per_class.push_back({epoch, "error", 0, value});
    return batch;
  }

  size_t MetricRows(int64_t trial_id, int attempt) {
    auto m = store_->GetMetrics(trial_id, attempt);
    EXPECT_OK(m);
    return m.ok() ? m->metrics.size() + m->per_class.size() : 0;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::atomic<int> commits_{0};
  std::atomic<bool> hold_{false};
  std::atomic<bool> held_{false};
  std::atomic<int64_t> wait_for_queued_{0};
  std::atomic<bool> fail_commits_{false};
};

TEST_F(GroupCommitTest, AStaleTokenInAGroupIsRefusedAndTheOthersCommit) {
  auto created = store_->CreateSweep(MakeSweep("s", 3, "g"));
  ASSERT_OK(created);
  const Lease first = MustLease();  // trial 0, attempt 1
  clock_.Advance(seconds(31));
  auto expired = store_->ExpireLeases();
  ASSERT_OK(expired);
  ASSERT_EQ(expired->size(), 1u);
  const Lease second = MustLease();  // trial 0 again, attempt 2
  ASSERT_EQ(second.trial_id, first.trial_id);
  ASSERT_EQ(second.attempt, 2);
  const Lease other = MustLease();  // trial 1

  Status stale, fresh;
  StatusOr<FinishResult> finished = InternalError("not run");
  RunAsOneGroup({
      [&] { stale = store_->ReportMetrics(first.trial_id, first.token, Rows(7, 0.9)); },
      [&] { fresh = store_->ReportMetrics(second.trial_id, second.token, Rows(0, 0.4)); },
      [&] { finished = store_->FinishAttempt(other.trial_id, other.token, {}); },
  });
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition) << stale.ToString();
  EXPECT_NE(stale.message().find("stale token"), std::string::npos) << stale.message();
  EXPECT_OK(fresh);
  ASSERT_OK(finished);
  EXPECT_EQ(finished->trial_state, TrialState::kSucceeded);

  EXPECT_EQ(MetricRows(first.trial_id, 1), 0u);  // nothing of the stale call
  EXPECT_EQ(MetricRows(second.trial_id, 2), 2u);
  auto trial = store_->GetTrial(second.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kRunning);
  ASSERT_TRUE(trial->trial.best_metric.has_value());
  EXPECT_DOUBLE_EQ(*trial->trial.best_metric, 0.4);
  auto done = store_->GetTrial(other.trial_id);
  ASSERT_OK(done);
  EXPECT_EQ(done->trial.state, TrialState::kSucceeded);
  EXPECT_OK(store_->CheckIntegrity());
}

TEST_F(GroupCommitTest, AGroupWhoseCommitFailsFailsEveryCallAndWritesNothing) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 3, "f")));
  std::vector<Lease> leases = {MustLease(), MustLease(), MustLease()};
  fail_commits_ = true;  // every commit after the held one fails
  std::vector<Status> got(3);
  RunAsOneGroup({
      [&] { got[0] = store_->ReportMetrics(leases[0].trial_id, leases[0].token, Rows(0, 0.1)); },
      [&] { got[1] = store_->ReportMetrics(leases[1].trial_id, leases[1].token, Rows(0, 0.2)); },
      [&] { got[2] = store_->ReportMetrics(leases[2].trial_id, leases[2].token, Rows(0, 0.3)); },
  });
  for (const Status& s : got) {
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
    EXPECT_EQ(s.message(), "injected commit failure");
  }
  for (const Lease& l : leases) {
    EXPECT_EQ(MetricRows(l.trial_id, 1), 0u);
    auto trial = store_->GetTrial(l.trial_id);
    ASSERT_OK(trial);
    EXPECT_EQ(trial->trial.state, TrialState::kLeased);  // not even marked running
  }
  // The same calls again, with commits allowed: all written.
  fail_commits_ = false;
  for (size_t i = 0; i < leases.size(); ++i) {
    EXPECT_OK(store_->ReportMetrics(leases[i].trial_id, leases[i].token, Rows(0, 0.1 * i)));
    EXPECT_EQ(MetricRows(leases[i].trial_id, 1), 2u);
  }
  EXPECT_OK(store_->CheckIntegrity());
}

TEST_F(GroupCommitTest, LeasesInOneGroupGetDistinctTrialsInQueueOrder) {
  auto created = store_->CreateSweep(MakeSweep("s", 4, "q"));
  ASSERT_OK(created);
  std::vector<StatusOr<std::optional<Lease>>> got(4, InternalError("not run"));
  std::vector<std::function<void()>> calls;
  for (size_t i = 0; i < got.size(); ++i) {
    calls.push_back([this, &got, i] { got[i] = store_->LeaseNextTrial("w1", seconds(30)); });
  }
  RunAsOneGroup(calls);
  std::set<int64_t> ids;
  std::set<std::string> tokens;
  for (const auto& lease : got) {
    ASSERT_OK(lease);
    ASSERT_TRUE(lease->has_value());
    EXPECT_EQ((*lease)->attempt, 1);
    ids.insert((*lease)->trial_id);
    tokens.insert((*lease)->token);
  }
  EXPECT_EQ(ids, std::set<int64_t>(created->trial_ids.begin(), created->trial_ids.end()));
  EXPECT_EQ(tokens.size(), 4u);
  // Each lease's token is the one the store fences with.
  for (const auto& lease : got) {
    EXPECT_OK(store_->ReportMetrics((*lease)->trial_id, (*lease)->token, Rows(0, 0.5)));
  }
  auto nothing = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(nothing);
  EXPECT_FALSE(nothing->has_value());
}

TEST_F(GroupCommitTest, ConcurrentWritersEachGetTheirOwnResults) {
  const int kTrials = 120;
  const int kThreads = 12;
  auto created = store_->CreateSweep(MakeSweep("s", kTrials, "c"));
  ASSERT_OK(created);
  std::vector<std::vector<int64_t>> mine(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &mine, &failures] {
      for (;;) {
        auto lease = store_->LeaseNextTrial("w1", seconds(30));
        if (!lease.ok()) {
          ++failures;
          return;
        }
        if (!lease->has_value()) return;
        const Lease& l = **lease;
        // Values only this trial writes: its best is epoch 2's.
        const double base = static_cast<double>(l.trial_id);
        for (int epoch = 0; epoch < 4; ++epoch) {
          const double value = base + (epoch == 2 ? 0.0 : 0.5 + epoch);
          if (!store_->ReportMetrics(l.trial_id, l.token, Rows(epoch, value)).ok()) ++failures;
        }
        auto finished = store_->FinishAttempt(l.trial_id, l.token, {});
        if (!finished.ok() || finished->trial_state != TrialState::kSucceeded) ++failures;
        mine[t].push_back(l.trial_id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  std::multiset<int64_t> all;
  for (const auto& ids : mine) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kTrials));
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), static_cast<size_t>(kTrials));
  for (int64_t id : all) {
    auto trial = store_->GetTrial(id);
    ASSERT_OK(trial);
    EXPECT_EQ(trial->trial.state, TrialState::kSucceeded);
    ASSERT_TRUE(trial->trial.best_metric.has_value());
    EXPECT_DOUBLE_EQ(*trial->trial.best_metric, static_cast<double>(id));
    EXPECT_EQ(trial->trial.best_epoch, 2);
    auto metrics = store_->GetMetrics(id);
    ASSERT_OK(metrics);
    ASSERT_EQ(metrics->metrics.size(), 4u);
    for (const MetricRow& row : metrics->metrics) {
      EXPECT_DOUBLE_EQ(row.value,
                       static_cast<double>(id) + (row.epoch == 2 ? 0.0 : 0.5 + row.epoch));
    }
  }
  const StoreStats stats = store_->stats();
  EXPECT_GE(stats.write_operations, stats.write_transactions);
  EXPECT_EQ(stats.queued_writes, 0);
  auto sweep = store_->GetSweep(created->sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
  EXPECT_OK(store_->CheckIntegrity());
}

// The asynchronous forms, queued behind a held leader from this thread:
// each call returns before its write runs; the leader runs them as one
// group and hands each the result the blocking form would give.
TEST_F(GroupCommitTest, AsyncWritesQueueBehindTheLeaderAndGetTheirOwnResults) {
  auto created = store_->CreateSweep(MakeSweep("s", 3, "a"));
  ASSERT_OK(created);
  const Lease first = MustLease();
  const Lease second = MustLease();

  wait_for_queued_ = 5;  // the leader + 4 asynchronous calls
  held_ = false;
  hold_ = true;
  std::thread leader([this] { EXPECT_OK(store_->RegisterWorker({"w2", "host-b", 1, {}})); });
  while (!held_.load()) std::this_thread::yield();
  const StoreStats before = store_->stats();

  std::atomic<int> answered{0};
  Status reported = InternalError("not answered"), stale = InternalError("not answered");
  StatusOr<FinishResult> finished = InternalError("not answered");
  StatusOr<std::optional<Lease>> leased = InternalError("not answered");
  std::set<std::thread::id> answering_threads;
  std::mutex mu;
  auto note = [&] {
    std::lock_guard<std::mutex> lock(mu);
    answering_threads.insert(std::this_thread::get_id());
    ++answered;
  };
  store_->ReportMetricsAsync(first.trial_id, first.token, Rows(0, 0.3), [&](Status s) {
    reported = s;
    note();
  });
  store_->ReportMetricsAsync(second.trial_id, "not-the-token", Rows(0, 0.9), [&](Status s) {
    stale = s;
    note();
  });
  store_->FinishAttemptAsync(second.trial_id, second.token, {}, [&](StatusOr<FinishResult> r) {
    finished = std::move(r);
    note();
  });
  store_->LeaseNextTrialAsync("w1", seconds(30), [&](StatusOr<std::optional<Lease>> r) {
    leased = std::move(r);
    note();
  });
  EXPECT_EQ(answered.load(), 0);  // all four queued; none ran on this thread
  leader.join();
  ASSERT_EQ(answered.load(), 4);
  EXPECT_EQ(answering_threads.size(), 1u);
  EXPECT_EQ(answering_threads.count(std::this_thread::get_id()), 0u);
  const StoreStats after = store_->stats();
  EXPECT_EQ(after.write_transactions - before.write_transactions, 2);
  EXPECT_EQ(after.queued_writes, 0);

  EXPECT_OK(reported);
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition) << stale.ToString();
  ASSERT_OK(finished);
  EXPECT_EQ(finished->trial_state, TrialState::kSucceeded);
  ASSERT_OK(leased);
  ASSERT_TRUE(leased->has_value());
  EXPECT_NE((*leased)->trial_id, first.trial_id);
  EXPECT_NE((*leased)->trial_id, second.trial_id);
  EXPECT_EQ(MetricRows(first.trial_id, 1), 2u);
  EXPECT_EQ(MetricRows(second.trial_id, 1), 0u);  // the stale call wrote nothing
  EXPECT_OK(store_->CheckIntegrity());
}

TEST_F(GroupCommitTest, AnAsyncWriteWithNoLeaderRunsOnTheCallingThread) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "n")));
  std::thread::id answered_on;
  StatusOr<std::optional<Lease>> leased = InternalError("not answered");
  store_->LeaseNextTrialAsync("w1", seconds(30), [&](StatusOr<std::optional<Lease>> r) {
    answered_on = std::this_thread::get_id();
    leased = std::move(r);
  });
  EXPECT_EQ(answered_on, std::this_thread::get_id());
  ASSERT_OK(leased);
  EXPECT_TRUE(leased->has_value());
}

TEST_F(GroupCommitTest, AsyncWritesOfAFailedCommitGetTheCommitError) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 2, "e")));
  const Lease lease = MustLease();
  fail_commits_ = true;
  Status reported = InternalError("not answered");
  store_->ReportMetricsAsync(lease.trial_id, lease.token, Rows(0, 0.1),
                             [&](Status s) { reported = s; });
  EXPECT_EQ(reported.code(), StatusCode::kUnavailable) << reported.ToString();
  StatusOr<std::optional<Lease>> leased = InternalError("not answered");
  store_->LeaseNextTrialAsync("w1", seconds(30),
                              [&](StatusOr<std::optional<Lease>> r) { leased = std::move(r); });
  EXPECT_EQ(leased.status().code(), StatusCode::kUnavailable);
  fail_commits_ = false;
  EXPECT_EQ(MetricRows(lease.trial_id, 1), 0u);
  auto again = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(again);
  EXPECT_TRUE(again->has_value());  // the failed lease took nothing
}

TEST(GroupCommitOptionsTest, GroupSizeOneRunsEveryCallInItsOwnTransaction) {
  TempDir dir;
  StoreOptions options;
  options.max_group_size = 1;
  auto store = Store::Open(dir.File("one.db"), options);
  ASSERT_OK(store);
  ASSERT_OK((*store)->RegisterWorker({"w1", "h", 1, {}}));
  ASSERT_OK((*store)->CreateSweep(MakeSweep("s", 40, "o")));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store] {
      for (;;) {
        auto lease = (*store)->LeaseNextTrial("w1", seconds(30));
        if (!lease.ok() || !lease->has_value()) return;
        EXPECT_OK((*store)->FinishAttempt((*lease)->trial_id, (*lease)->token, {}));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const StoreStats stats = (*store)->stats();
  EXPECT_EQ(stats.largest_group, 1);
  EXPECT_EQ(stats.write_operations, stats.write_transactions);
}

// The writer queue itself, on a bare table: a call that fails after writing
// is rolled back to its own savepoint; the calls around it in the same
// transaction keep their rows.
TEST(GroupCommitQueueTest, AFailingCallIsRolledBackAloneInsideItsGroup) {
  TempDir dir;
  auto db = sqlite::Db::Open(dir.File("queue.db"), /*read_only=*/false, 5000);
  ASSERT_OK(db);
  ASSERT_OK((*db)->Exec("CREATE TABLE t (v INTEGER PRIMARY KEY)"));
  std::mutex db_mu;
  sqlite::GroupCommit queue(db->get(), &db_mu, 64);
  std::atomic<bool> hold{true}, held{false};
  (*db)->set_before_commit([&]() -> Status {
    if (hold.exchange(false)) {
      held = true;
      const auto give_up = std::chrono::steady_clock::now() + seconds(20);
      while (queue.stats().queued < 4 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::yield();
      }
    }
    return Status::Ok();
  });
  auto insert = [&](int v) -> Status {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, (*db)->Prepare("INSERT INTO t (v) VALUES (?)"));
    stmt.Bind(v);
    return stmt.Run();
  };
  std::thread leader([&] { EXPECT_OK(queue.Run([&] { return insert(0); })); });
  while (!held.load()) std::this_thread::yield();
  Status a, b, c;
  std::thread ta([&] { a = queue.Run([&] { return insert(1); }); });
  std::thread tb([&] {
    b = queue.Run([&]() -> Status {
      LTSWEEP_RETURN_IF_ERROR(insert(2));
      return AbortedError("failed after writing");
    });
  });
  std::thread tc([&] { c = queue.Run([&] { return insert(3); }); });
  leader.join();
  ta.join();
  tb.join();
  tc.join();
  EXPECT_OK(a);
  EXPECT_EQ(b.code(), StatusCode::kAborted);
  EXPECT_OK(c);
  EXPECT_EQ(queue.stats().largest_group, 3);
  EXPECT_EQ(queue.stats().transactions, 2);

  auto stmt = (*db)->Prepare("SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)");
  ASSERT_OK(stmt);
  auto row = stmt->Step();
  ASSERT_OK(row);
  ASSERT_TRUE(*row);
  EXPECT_EQ(stmt->Text(0), "0,1,3");
}

// When more asynchronous writers wait behind a group, the leader hands that
// group's replies to the reply thread and goes straight on to the next
// group; the last group's replies leave from the leader itself. Every reply
// is sent before the GroupCommit is destroyed.
TEST(GroupCommitQueueTest, RepliesOfAGroupWithWritersWaitingLeaveFromTheReplyThread) {
  TempDir dir;
  auto db = sqlite::Db::Open(dir.File("replies.db"), /*read_only=*/false, 5000);
  ASSERT_OK(db);
  ASSERT_OK((*db)->Exec("CREATE TABLE t (v INTEGER PRIMARY KEY)"));
  std::mutex db_mu;
  auto queue = std::make_unique<sqlite::GroupCommit>(db->get(), &db_mu, 64);
  auto insert = [&](int v) -> Status {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, (*db)->Prepare("INSERT INTO t (v) VALUES (?)"));
    stmt.Bind(v);
    return stmt.Run();
  };

  std::mutex mu;
  std::vector<std::pair<int, std::thread::id>> replies;  // (value, thread)
  std::vector<Status> statuses;
  auto reply_for = [&](int v) {
    return [&, v](Status s) {
      std::lock_guard<std::mutex> lock(mu);
      replies.emplace_back(v, std::this_thread::get_id());
      statuses.push_back(s);
    };
  };

  // Commit 1 (the leader's own write) waits until writers 1 and 2 are
  // queued; commit 2 (their group) queues writer 3 behind it.
  std::atomic<int> commits{0};
  std::atomic<bool> held{false};
  (*db)->set_before_commit([&]() -> Status {
    const int n = ++commits;
    if (n == 1) {
      held = true;
      const auto give_up = std::chrono::steady_clock::now() + seconds(20);
      while (queue->stats().queued < 3 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::yield();
      }
    } else if (n == 2) {
      queue->RunAsync([&] { return insert(3); }, reply_for(3));  // queued: returns at once
    }
    return Status::Ok();
  });
  std::thread::id leader_id;
  std::thread leader([&] {
    leader_id = std::this_thread::get_id();
    EXPECT_OK(queue->Run([&] { return insert(0); }));
  });
  while (!held.load()) std::this_thread::yield();
  queue->RunAsync([&] { return insert(1); }, reply_for(1));
  queue->RunAsync([&] { return insert(2); }, reply_for(2));
  leader.join();
  queue.reset();  // waits for the reply thread

  ASSERT_EQ(replies.size(), 3u);
  for (const Status& s : statuses) EXPECT_OK(s);
  for (const auto& [v, id] : replies) {
    EXPECT_NE(id, std::this_thread::get_id()) << v;
    if (v == 3) {
      EXPECT_EQ(id, leader_id);
    } else {
      EXPECT_NE(id, leader_id) << v;
    }
  }
  EXPECT_EQ(commits.load(), 3);
  auto stmt = (*db)->Prepare("SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)");
  ASSERT_OK(stmt);
  auto row = stmt->Step();
  ASSERT_OK(row);
  ASSERT_TRUE(*row);
  EXPECT_EQ(stmt->Text(0), "0,1,2,3");
}

}  // namespace
}  // namespace ltsweep::testing
