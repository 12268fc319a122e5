// Store: what faults cost (issue 11). Failure classes (retry elsewhere,
// worker fault, crash, lost lease) and the tries they use, retries sent to
// another worker and host, quarantine of a worker that keeps failing,
// leases resumed after a coordinator outage, request ids that make a
// retried Lease or CreateSweep return the first answer, bad metric rows
// rejected one by one, a full disk reported as transient, foreign, old and
// corrupt files. Real SQLite files; time moves only through the FakeClock.
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Runs SQL on a file with the plain SQLite API (no Store).
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

class StoreFaultTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // w1 is on host-a (StoreTest); w2 shares host-a, w3 is on host-b.
    ASSERT_OK(store_->RegisterWorker({"w2", "host-a", 1, {}}));
    ASSERT_OK(store_->RegisterWorker({"w3", "host-b", 1, {}}));
  }

  std::optional<Lease> TryLease(const std::string& worker) {
    auto lease = store_->LeaseNextTrial(worker, seconds(30));
    EXPECT_OK(lease);
    return lease.ok() ? *lease : std::nullopt;
  }

  Lease MustLease(const std::string& worker) {
    std::optional<Lease> lease = TryLease(worker);
    if (!lease) {
      ADD_FAILURE() << "no trial for " << worker;
      return {};
    }
    return *lease;
  }

  FinishResult Finish(const Lease& l, AttemptOutcome outcome, int exit_code,
                      const std::string& error) {
    FinishRequest request;
    request.outcome = outcome;
    request.exit_code = exit_code;
    request.error = error;
    auto f = store_->FinishAttempt(l.trial_id, l.token, request);
    EXPECT_OK(f);
    return f.ok() ? *f : FinishResult{};
  }

  WorkerRecord Worker(const std::string& id) {
    auto workers = store_->ListWorkers();
    EXPECT_OK(workers);
    if (workers.ok()) {
      for (const WorkerInfo& w : *workers) {
        if (w.worker.id == id) return w.worker;
      }
    }
    ADD_FAILURE() << "no worker " << id;
    return {};
  }

  std::vector<EventRecord> Events(const std::string& kind) {
    EventFilter filter;
    filter.limit = 10000;
    auto events = store_->ListEvents(filter);
    EXPECT_OK(events);
    std::vector<EventRecord> out;
    if (events.ok()) {
      for (const EventRecord& e : *events) {
        if (e.kind == kind) out.push_back(e);
      }
    }
    return out;
  }
};

// --- 1. Failure classes --------------------------------------------------------

TEST_F(StoreFaultTest, RetryElsewhereAndWorkerFaultRequeueWithoutUsingATry) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h", 0, /*max_attempts=*/1));
  ASSERT_OK(created);
  Lease a1 = MustLease("w1");
  FinishResult f1 = Finish(a1, AttemptOutcome::kRetryElsewhere, 5, "no CUDA device");
  EXPECT_TRUE(f1.requeued);
  EXPECT_EQ(f1.trial_state, TrialState::kQueued);
  Lease a2 = MustLease("w3");
  EXPECT_EQ(a2.attempt, 2);
  FinishResult f2 = Finish(a2, AttemptOutcome::kWorkerFault, -1, "cannot write trial.json");
  EXPECT_TRUE(f2.requeued);
  EXPECT_EQ(f2.trial_state, TrialState::kQueued);
  // The one try it has: a crash fails it.
  Lease a3 = MustLease("w2");
  EXPECT_EQ(a3.attempt, 3);
  FinishResult f3 = Finish(a3, AttemptOutcome::kFailedRetryable, 139, "segfault");
  EXPECT_FALSE(f3.requeued);
  EXPECT_EQ(f3.trial_state, TrialState::kFailed);

  auto trial = store_->GetTrial(a1.trial_id);
  ASSERT_OK(trial);
  ASSERT_EQ(trial->attempts.size(), 3u);
  EXPECT_EQ(trial->attempts[0].outcome, "retry_elsewhere");
  EXPECT_FALSE(trial->attempts[0].used_try);
  EXPECT_EQ(trial->attempts[0].error, "no CUDA device");
  EXPECT_EQ(trial->attempts[1].outcome, "worker_fault");
  EXPECT_FALSE(trial->attempts[1].used_try);
  EXPECT_EQ(trial->attempts[2].outcome, "failed_retryable");
  EXPECT_TRUE(trial->attempts[2].used_try);
  // Each of the three counted against its worker.
  EXPECT_EQ(Worker("w1").consecutive_failures, 1);
  EXPECT_EQ(Worker("w1").last_error, "no CUDA device");
  EXPECT_EQ(Worker("w3").consecutive_failures, 1);
  EXPECT_EQ(Worker("w2").consecutive_failures, 1);
}

TEST_F(StoreFaultTest, InterruptionsAndPermanentFailuresDoNotCountAgainstTheWorker) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 2, "h")));
  Finish(MustLease("w1"), AttemptOutcome::kInterrupted, 4, "worker stopping");
  Finish(MustLease("w1"), AttemptOutcome::kFailedPermanent, 2, "bad config");
  EXPECT_EQ(Worker("w1").consecutive_failures, 0);
}

// --- 2. A retry goes to another worker, and another host ------------------------

TEST_F(StoreFaultTest, ARetriedTrialGoesToAnotherHostWhileOneIsEligible) {
  auto created = store_->CreateSweep(MakeSweep("s", 2, "h"));
  ASSERT_OK(created);
  const int64_t t0 = created->trial_ids[0], t1 = created->trial_ids[1];
  Lease a = MustLease("w1");
  ASSERT_EQ(a.trial_id, t0);
  Finish(a, AttemptOutcome::kFailedRetryable, 139, "segfault");

  // w1 failed t0: it gets t1 instead, although t0 comes first.
  EXPECT_EQ(MustLease("w1").trial_id, t1);
  // w2 is on the same host and host-b has an eligible worker: nothing for w2.
  EXPECT_FALSE(TryLease("w2").has_value());
  // w3 (host-b) gets the retry.
  Lease b = MustLease("w3");
  EXPECT_EQ(b.trial_id, t0);
  EXPECT_EQ(b.attempt, 2);
}

TEST_F(StoreFaultTest, AWorkerSkipsToTheNextSweepWhenEveryQueuedTrialAvoidsIt) {
  auto high = store_->CreateSweep(MakeSweep("high", 1, "hi", /*priority=*/5));
  auto low = store_->CreateSweep(MakeSweep("low", 1, "lo", /*priority=*/0));
  ASSERT_OK(high);
  ASSERT_OK(low);
  Lease a = MustLease("w3");
  ASSERT_EQ(a.trial_id, high->trial_ids[0]);
  Finish(a, AttemptOutcome::kWorkerFault, -1, "cannot spawn");
  EXPECT_EQ(MustLease("w3").trial_id, low->trial_ids[0]);
  EXPECT_EQ(MustLease("w1").trial_id, high->trial_ids[0]);
}

TEST_F(StoreFaultTest, SameHostIsUsedWhenNoOtherHostIsEligible) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h"));
  ASSERT_OK(created);
  ASSERT_OK(store_->MarkWorkerStopped("w3"));  // host-b is gone
  Lease a = MustLease("w1");
  Finish(a, AttemptOutcome::kRetryElsewhere, 5, "data missing on this node");
  EXPECT_FALSE(TryLease("w1").has_value());  // not the same worker while w2 is there
  EXPECT_EQ(MustLease("w2").trial_id, a.trial_id);
}

TEST_F(StoreFaultTest, TheSameWorkerGetsItWhenNoOtherWorkerIsEligible) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h"));
  ASSERT_OK(created);
  ASSERT_OK(store_->MarkWorkerStopped("w2"));
  ASSERT_OK(store_->MarkWorkerStopped("w3"));
  Lease a = MustLease("w1");
  Finish(a, AttemptOutcome::kFailedRetryable, 139, "segfault");
  Lease b = MustLease("w1");
  EXPECT_EQ(b.trial_id, a.trial_id);
  EXPECT_EQ(b.attempt, 2);
}

TEST_F(StoreFaultTest, ALostLeaseIsRetriedElsewhereButDoesNotCountAgainstTheWorker) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h"));
  ASSERT_OK(created);
  Lease a = MustLease("w3");
  clock_.Advance(seconds(31));
  // The others stay alive (they heartbeat); w3 went silent.
  ASSERT_OK(store_->Heartbeat("w1", {}, seconds(30)));
  ASSERT_OK(store_->Heartbeat("w2", {}, seconds(30)));
  auto expired = store_->ExpireLeases();
  ASSERT_OK(expired);
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_TRUE((*expired)[0].used_try);
  // A lost lease says the worker was killed or cut off, not that its
  // machine cannot run trials: it is no step toward quarantine.
  EXPECT_EQ(Worker("w3").consecutive_failures, 0);
  ASSERT_OK(store_->Heartbeat("w3", {}, seconds(30)));  // w3 comes back
  EXPECT_FALSE(TryLease("w3").has_value());
  EXPECT_EQ(MustLease("w1").trial_id, a.trial_id);
}

// --- 3. Quarantine ---------------------------------------------------------------

class QuarantineTest : public StoreFaultTest {
 protected:
  void SetUp() override {
    StoreFaultTest::SetUp();
    store_.reset();
    auto store = Store::Open(path_, QuarantineOptions());
    ASSERT_OK(store);
    store_ = std::move(store).value();
  }
  StoreOptions QuarantineOptions() {
    StoreOptions options = Options();
    options.quarantine_after = 3;
    options.quarantine_cooldown = minutes(10);
    return options;
  }
  // Leases a trial to `worker` and fails it with `outcome`.
  FinishResult FailOne(const std::string& worker, AttemptOutcome outcome, const std::string& error) {
    return Finish(MustLease(worker), outcome, 1, error);
  }
};

TEST_F(QuarantineTest, ThreeFailuresInARowQuarantineTheWorkerForACoolDown) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 10, "h", 0, /*max_attempts=*/5)));
  EXPECT_FALSE(FailOne("w1", AttemptOutcome::kRetryElsewhere, "no CUDA").quarantine);
  EXPECT_FALSE(FailOne("w1", AttemptOutcome::kWorkerFault, "spawn failed").quarantine);
  FinishResult third = FailOne("w1", AttemptOutcome::kFailedRetryable, "CUDA error: ECC");
  ASSERT_TRUE(third.quarantine.has_value());
  const int64_t until = clock_.NowMillis() + 10 * 60 * 1000;
  EXPECT_EQ(third.quarantine->worker_id, "w1");
  EXPECT_EQ(third.quarantine->until_ms, until);
  EXPECT_EQ(third.quarantine->failures, 3);

  EXPECT_FALSE(TryLease("w1").has_value());  // trials are queued, but not for w1
  WorkerRecord w1 = Worker("w1");
  EXPECT_EQ(w1.quarantined_until_ms, until);
  EXPECT_EQ(w1.last_error, "CUDA error: ECC");
  EXPECT_EQ(w1.quarantines, 1);
  EXPECT_EQ(Events("worker_quarantined").size(), 1u);

  // It survives a coordinator restart.
  store_.reset();
  auto reopened = Store::Open(path_, QuarantineOptions());
  ASSERT_OK(reopened);
  store_ = std::move(reopened).value();
  EXPECT_FALSE(TryLease("w1").has_value());

  // The cool-down passes: the scheduler ends it, and w1 gets work again.
  clock_.Advance(minutes(10) + milliseconds(1));
  auto ended = store_->EndQuarantines();
  ASSERT_OK(ended);
  EXPECT_EQ(*ended, std::vector<std::string>{"w1"});
  EXPECT_EQ(Worker("w1").quarantined_until_ms, 0);
  EXPECT_EQ(Events("worker_released").size(), 1u);
  ASSERT_OK(store_->EndQuarantines());
  EXPECT_EQ(Events("worker_released").size(), 1u);  // one event per change

  // Three more failures before any success: the cool-down doubles.
  FailOne("w1", AttemptOutcome::kFailedRetryable, "a");
  FailOne("w1", AttemptOutcome::kFailedRetryable, "b");
  FinishResult again = FailOne("w1", AttemptOutcome::kFailedRetryable, "c");
  ASSERT_TRUE(again.quarantine.has_value());
  EXPECT_EQ(again.quarantine->until_ms, clock_.NowMillis() + 20 * 60 * 1000);
  EXPECT_EQ(Worker("w1").quarantines, 2);
}

TEST_F(QuarantineTest, ASuccessResetsTheCount) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 10, "h", 0, /*max_attempts=*/5)));
  FailOne("w1", AttemptOutcome::kFailedRetryable, "a");
  FailOne("w1", AttemptOutcome::kFailedRetryable, "b");
  Finish(MustLease("w1"), AttemptOutcome::kSucceeded, 0, "");
  EXPECT_EQ(Worker("w1").consecutive_failures, 0);
  FailOne("w1", AttemptOutcome::kFailedRetryable, "c");
  EXPECT_FALSE(FailOne("w1", AttemptOutcome::kFailedRetryable, "d").quarantine);
  EXPECT_EQ(Worker("w1").quarantined_until_ms, 0);
  EXPECT_TRUE(TryLease("w1").has_value());
}

// The chaos harness's finding (issue 11): a healthy worker SIGKILLed three
// times in a row was quarantined. Lost leases neither count nor reset.
TEST_F(QuarantineTest, LostLeasesNeitherCountNorResetTheRun) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 10, "h", 0, /*max_attempts=*/5)));
  // Three lost leases in a row: not quarantined, nothing counted.
  for (int i = 0; i < 3; ++i) {
    MustLease("w1");
    clock_.Advance(seconds(31));
    auto expired = store_->ExpireLeases();
    ASSERT_OK(expired);
    ASSERT_EQ(expired->size(), 1u);
    ASSERT_OK(store_->Heartbeat("w1", {}, seconds(30)));  // w1 comes back
  }
  EXPECT_EQ(Worker("w1").consecutive_failures, 0);
  EXPECT_EQ(Worker("w1").quarantined_until_ms, 0);
  EXPECT_TRUE(Events("worker_quarantined").empty());

  // Two crashes, a lost lease between them and after them: the lost leases
  // do not reset the run, so the third crash quarantines.
  FailOne("w1", AttemptOutcome::kFailedRetryable, "a");
  MustLease("w1");
  clock_.Advance(seconds(31));
  ASSERT_OK(store_->ExpireLeases());
  ASSERT_OK(store_->Heartbeat("w1", {}, seconds(30)));
  EXPECT_EQ(Worker("w1").consecutive_failures, 1);
  FailOne("w1", AttemptOutcome::kRetryElsewhere, "b");
  EXPECT_EQ(Worker("w1").consecutive_failures, 2);
  FinishResult third = FailOne("w1", AttemptOutcome::kFailedRetryable, "c");
  ASSERT_TRUE(third.quarantine.has_value());
  EXPECT_EQ(third.quarantine->failures, 3);
}

TEST_F(QuarantineTest, ReleaseLiftsItAtOnce) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 10, "h", 0, /*max_attempts=*/5)));
  FailOne("w1", AttemptOutcome::kFailedRetryable, "a");
  FailOne("w1", AttemptOutcome::kWorkerFault, "b");
  ASSERT_TRUE(FailOne("w1", AttemptOutcome::kRetryElsewhere, "c").quarantine.has_value());
  EXPECT_FALSE(TryLease("w1").has_value());

  auto released = store_->ReleaseWorker("w1");
  ASSERT_OK(released);
  EXPECT_TRUE(*released);
  EXPECT_EQ(Events("worker_released").size(), 1u);
  EXPECT_EQ(Worker("w1").quarantined_until_ms, 0);
  EXPECT_EQ(Worker("w1").consecutive_failures, 0);
  EXPECT_TRUE(TryLease("w1").has_value());
  released = store_->ReleaseWorker("w1");
  ASSERT_OK(released);
  EXPECT_FALSE(*released);
  EXPECT_EQ(store_->ReleaseWorker("nobody").status().code(), StatusCode::kNotFound);
}

TEST_F(QuarantineTest, AQuarantinedWorkerIsNotEligibleForRetries) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h", 0, /*max_attempts=*/5));
  ASSERT_OK(created);
  ASSERT_OK(store_->MarkWorkerStopped("w2"));
  // w3 (the only other worker) is quarantined: w1 gets its own retry.
  ASSERT_OK(store_->CreateSweep(MakeSweep("other", 3, "o", /*priority=*/-1, 5)));
  Lease a = MustLease("w1");
  for (int i = 0; i < 3; ++i) FailOne("w3", AttemptOutcome::kWorkerFault, "disk full");
  ASSERT_GT(Worker("w3").quarantined_until_ms, 0);
  Finish(a, AttemptOutcome::kFailedRetryable, 139, "segfault");
  EXPECT_EQ(MustLease("w1").trial_id, a.trial_id);
}

// --- 4. Coordinator outages ---------------------------------------------------------

TEST_F(StoreFaultTest, ResumedLeasesGetAFreshDeadlineAndAreNotLostToTheOutage) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 2, "h", 0, /*max_attempts=*/1)));
  Lease kept = MustLease("w1");
  Lease silent = MustLease("w3");
  Reopen();                       // the coordinator restarts...
  clock_.Advance(minutes(5));     // ...after five minutes down
  auto resumed = store_->ResumeLeases(seconds(30));
  ASSERT_OK(resumed);
  EXPECT_EQ(*resumed, 2);
  EXPECT_EQ(Events("leases_resumed").size(), 1u);
  auto expired = store_->ExpireLeases();
  ASSERT_OK(expired);
  EXPECT_TRUE(expired->empty());
  auto trial = store_->GetTrial(kept.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.lease_deadline_ms, clock_.NowMillis() + 30'000);

  // w1 heartbeats; w3 gave up during the outage and never comes back.
  clock_.Advance(seconds(20));
  ASSERT_OK(store_->Heartbeat("w1", {{kept.trial_id, kept.token}}, seconds(30)));
  clock_.Advance(seconds(20));
  expired = store_->ExpireLeases();
  ASSERT_OK(expired);
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].trial_id, silent.trial_id);
  EXPECT_TRUE((*expired)[0].requeued);  // max_attempts 1, and still requeued
  EXPECT_FALSE((*expired)[0].used_try);
  EXPECT_EQ(Worker("w3").consecutive_failures, 0);
  ASSERT_OK(store_->FinishAttempt(kept.trial_id, kept.token, {}));
}

// --- 5. A full disk is transient -------------------------------------------------------

TEST_F(StoreFaultTest, AFullDatabaseIsUnavailableNotResourceExhausted) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  Lease l = MustLease("w1");
  store_.reset();
  StoreOptions options = Options();
  auto pages = RawQuery(path_, "PRAGMA page_count");
  options.max_page_count = std::stoll(pages) + 2;
  auto store = Store::Open(path_, options);
  ASSERT_OK(store);
  store_ = std::move(store).value();
  MetricBatch big;
  for (int e = 0; e < 2000; ++e) {
    big.metrics.push_back({e, "val_error_with_a_long_name_" + std::to_string(e), 0.5});
  }
  Status full = store_->ReportMetrics(l.trial_id, l.token, big);
  EXPECT_EQ(full.code(), StatusCode::kUnavailable) << full.ToString();
  // Nothing of the batch was kept; small writes still work.
  auto m = store_->GetMetrics(l.trial_id);
  ASSERT_OK(m);
  EXPECT_TRUE(m->metrics.empty());
  EXPECT_OK(store_->Heartbeat("w1", {{l.trial_id, l.token}}, seconds(30)));
}

TEST(SqliteErrorTest, FullAndIoErrorsAreTransient) {
  TempDir dir;
  auto db = sqlite::Db::Open(dir.File("x.db"), false, 100);
  ASSERT_OK(db);
  EXPECT_EQ((*db)->Error(SQLITE_FULL, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ((*db)->Error(SQLITE_IOERR, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ((*db)->Error(SQLITE_IOERR_WRITE, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ((*db)->Error(SQLITE_IOERR_FSYNC, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ((*db)->Error(SQLITE_CORRUPT, "x").code(), StatusCode::kDataLoss);
}

// A real full file system: a 1 MiB tmpfs (needs root and mount).
TEST(FullDiskTest, AFullFileSystemIsUnavailable) {
  TempDir dir;
  const std::string mnt = dir.File("small");
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  if (::geteuid() != 0 || ::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root); the max_page_count test "
                    "covers SQLITE_FULL";
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  StoreOptions options;
  options.background_checkpoints = false;
  auto store = Store::Open(mnt + "/results.db", options);
  ASSERT_OK(store);
  NewSweep sweep = MakeSweep("big", 1, "h");
  sweep.spec_yaml = std::string(4 << 20, 'x');  // 4 MiB on a 1 MiB disk
  auto created = (*store)->CreateSweep(sweep);
  EXPECT_EQ(created.status().code(), StatusCode::kUnavailable) << created.status().ToString();
}

// --- 6. Foreign, old and corrupt files -----------------------------------------------

TEST(StoreOpenTest, AForeignSqliteFileIsRefusedNotMigrated) {
  TempDir dir;
  const std::string path = dir.File("notes.db");
  RawExec(path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
                "INSERT INTO notes (text) VALUES ('keep me');");
  const std::string before = ReadBytes(path);
  auto store = Store::Open(path, StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("not an ltsweep results database"), std::string::npos)
      << store.status().ToString();
  EXPECT_EQ(ReadBytes(path), before);
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'trials'"), "0");
}

TEST(StoreOpenTest, ACorruptFileIsRefusedAndLeftAlone) {
  TempDir dir;
  const std::string good = dir.File("good.db");
  {
    StoreOptions options;
    options.background_checkpoints = false;
    auto store = Store::Open(good, options);
    ASSERT_OK(store);
    ASSERT_OK((*store)->CreateSweep(MakeSweep("s", 300, "h")));
  }
  RawExec(good, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;");
  const std::string bytes = ReadBytes(good);
  ASSERT_GT(bytes.size(), 8192u);

  // Garbled: the last quarter of the pages overwritten (the header and the
  // schema stay readable, so only a check of the whole file finds it).
  const std::string garbled = dir.File("garbled.db");
  std::string g = bytes;
  for (size_t i = g.size() * 3 / 4; i < g.size() - 100; i += 7) g[i] = static_cast<char>(i * 31);
  WriteBytes(garbled, g);
  // Truncated: the last pages cut off.
  const std::string truncated = dir.File("truncated.db");
  WriteBytes(truncated, bytes.substr(0, bytes.size() / 2));

  for (const std::string& path : {garbled, truncated}) {
    const std::string before = ReadBytes(path);
    StoreOptions options;
    options.quick_check_on_open = true;
    auto store = Store::Open(path, options);
    ASSERT_FALSE(store.ok()) << path;
    EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
    EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().ToString();
    EXPECT_EQ(ReadBytes(path), before) << path << " was written to";
  }
}

TEST(StoreOpenTest, AVersion2FileIsMigratedWithItsData) {
  TempDir dir;
  const std::string path = dir.File("v2.db");
  RawExec(path, sqlite::Migrations()[0] + sqlite::Migrations()[1] +
                    "PRAGMA user_version = 2;"
                    "INSERT INTO sweeps (id, name, spec_yaml, n_trials, created_ms, updated_ms) "
                    "  VALUES (1, 'old', 'name: old', 1, 1, 1);"
                    "INSERT INTO workers (id, host, slots, registered_ms, last_seen_ms) "
                    "  VALUES ('w1', 'host-a', 1, 1, 1);"
                    "INSERT INTO trials (id, sweep_id, ordinal, config_json, config_hash, "
                    "  status, attempts, created_ms, updated_ms) "
                    "  VALUES (1, 1, 0, '{}', 'h0', 'queued', 1, 1, 1);"
                    "INSERT INTO attempts (trial_id, attempt, worker_id, lease_token, status, "
                    "  started_ms) VALUES (1, 1, 'w1', 'tok', 'interrupted', 1);");
  StoreOptions options;
  options.background_checkpoints = false;
  auto store = Store::Open(path, options);
  ASSERT_OK(store);
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), std::to_string(Store::LatestSchemaVersion()));
  auto trial = (*store)->GetTrial(1);
  ASSERT_OK(trial);
  ASSERT_EQ(trial->attempts.size(), 1u);
  EXPECT_FALSE(trial->attempts[0].used_try);  // interrupted before v3: no try used
  auto lease = (*store)->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ((*lease)->attempt, 2);
  EXPECT_EQ((*lease)->timeout_ms, 0);
}

// --- 7. Request ids -------------------------------------------------------------------

TEST_F(StoreFaultTest, ARepeatedLeaseRequestGetsTheSameLease) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 3, "h")));
  auto first = store_->LeaseNextTrial("w1", seconds(30), "req-1");
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_FALSE((*first)->repeated);
  clock_.Advance(seconds(1));
  auto again = store_->LeaseNextTrial("w1", seconds(30), "req-1");
  ASSERT_OK(again);
  ASSERT_TRUE(again->has_value());
  EXPECT_TRUE((*again)->repeated);
  EXPECT_EQ((*again)->trial_id, (*first)->trial_id);
  EXPECT_EQ((*again)->token, (*first)->token);
  EXPECT_EQ((*again)->attempt, (*first)->attempt);
  EXPECT_EQ((*again)->config_json, (*first)->config_json);
  // Another worker with the same id gets its own lease; a new id a new one.
  auto other = store_->LeaseNextTrial("w3", seconds(30), "req-1");
  ASSERT_OK(other);
  ASSERT_TRUE(other->has_value());
  EXPECT_NE((*other)->trial_id, (*first)->trial_id);
  auto next = store_->LeaseNextTrial("w1", seconds(30), "req-2");
  ASSERT_OK(next);
  ASSERT_TRUE(next->has_value());
  EXPECT_NE((*next)->trial_id, (*first)->trial_id);
  EXPECT_EQ(Events("trial_leased").size(), 3u);
  // Once that lease is over, the old id leases afresh (nothing left here).
  ASSERT_OK(store_->FinishAttempt((*first)->trial_id, (*first)->token, {}));
  auto after = store_->LeaseNextTrial("w1", seconds(30), "req-1");
  ASSERT_OK(after);
  EXPECT_FALSE(after->has_value());
}

TEST_F(StoreFaultTest, ARepeatedSubmissionGetsTheSameSweep) {
  NewSweep sweep = MakeSweep("s", 3, "h");
  sweep.request_id = "submit-1";
  auto first = store_->CreateSweep(sweep);
  ASSERT_OK(first);
  EXPECT_FALSE(first->existing);
  auto again = store_->CreateSweep(sweep);
  ASSERT_OK(again);
  EXPECT_TRUE(again->existing);
  EXPECT_EQ(again->sweep_id, first->sweep_id);
  EXPECT_EQ(again->trial_ids, first->trial_ids);
  EXPECT_EQ(again->n_queued, 3);
  auto sweeps = store_->ListSweeps();
  ASSERT_OK(sweeps);
  EXPECT_EQ(sweeps->size(), 1u);
  sweep.request_id = "submit-2";
  auto second = store_->CreateSweep(sweep);
  ASSERT_OK(second);
  EXPECT_NE(second->sweep_id, first->sweep_id);
}

// --- 8. One bad metric row ---------------------------------------------------------------

TEST_F(StoreFaultTest, ABadMetricRowIsRejectedAloneAndTheOthersAreWritten) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  Lease l = MustLease("w1");
  MetricBatch batch;
  batch.metrics.push_back({0, "val_error", 0.5});
  batch.metrics.push_back({1, "", 0.4});
  batch.metrics.push_back({1, "val_error", 0.3});
  batch.per_class.push_back({0, "error", -1, 0.1});
  batch.per_class.push_back({0, "error", 0, 0.1});
  batch.payloads.push_back({0, "", "{}"});
  ReportResult result;
  ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, batch, &result));
  EXPECT_EQ(result.rows_written, 3);
  EXPECT_EQ(result.rows_rejected, 3);
  EXPECT_NE(result.first_rejection.find("no name"), std::string::npos) << result.first_rejection;
  auto m = store_->GetMetrics(l.trial_id);
  ASSERT_OK(m);
  EXPECT_EQ(m->metrics.size(), 2u);
  EXPECT_EQ(m->per_class.size(), 1u);
  auto trial = store_->GetTrial(l.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.best_metric, 0.3);
}

// --- 9. Per-sweep timeouts -----------------------------------------------------------------

TEST_F(StoreFaultTest, LeasesCarryTheSweepsTimeouts) {
  NewSweep sweep = MakeSweep("s", 1, "h");
  sweep.timeout_ms = 2 * 3600 * 1000;
  sweep.no_progress_timeout_ms = 10 * 60 * 1000;
  ASSERT_OK(store_->CreateSweep(sweep));
  Lease l = MustLease("w1");
  EXPECT_EQ(l.timeout_ms, 2 * 3600 * 1000);
  EXPECT_EQ(l.no_progress_timeout_ms, 10 * 60 * 1000);
}

}  // namespace
}  // namespace ltsweep::testing
