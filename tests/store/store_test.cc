// Store: opening, migrations, read-only access and round trips of every table.
#include "store/store.h"

#include <sqlite3.h>

#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(StoreOpenTest, EmptyFileIsMigratedToTheLatestVersion) {
  TempDir dir;
  const std::string path = dir.File("new.db");
  {
    auto store = Store::Open(path, StoreOptions());
    ASSERT_OK(store);
    EXPECT_OK((*store)->CheckIntegrity());
  }
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), std::to_string(Store::LatestSchemaVersion()));
  EXPECT_EQ(RawQuery(path, "PRAGMA journal_mode"), "wal");
  for (const char* table : {"sweeps", "trials", "attempts", "metrics", "per_class_metrics",
                            "trial_payloads", "workers", "events"}) {
    EXPECT_EQ(RawQuery(path, std::string("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name = '") + table + "'"),
              table);
  }
  // Opening again (already at the latest version) changes nothing.
  auto again = Store::Open(path, StoreOptions());
  ASSERT_OK(again);
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), std::to_string(Store::LatestSchemaVersion()));
}

// A file written by the first release (schema version 1) opens with its
// queue intact: migration 2 swaps the trial indexes for partial ones.
TEST(StoreOpenTest, AVersionOneFileIsMigratedWithItsQueue) {
  TempDir dir;
  const std::string path = dir.File("v1.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string v1 = sqlite::Migrations().at(0) + R"sql(
      INSERT INTO sweeps (id, name, spec_yaml, n_trials, created_ms, updated_ms)
        VALUES (1, 'old', 'name: old', 2, 1, 1);
      INSERT INTO trials (sweep_id, ordinal, config_json, config_hash, created_ms, updated_ms)
        VALUES (1, 0, '{}', 'h0', 1, 1), (1, 1, '{}', 'h1', 1, 1);
      INSERT INTO workers (id, host, slots, registered_ms, last_seen_ms)
        VALUES ('w1', 'host', 1, 1, 1);
      PRAGMA user_version = 1;)sql";
    ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = Store::Open(path, StoreOptions());
  ASSERT_OK(store);
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), std::to_string(Store::LatestSchemaVersion()));
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'trials_queue'"), "0");
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'trials_queued'"), "1");
  auto lease = (*store)->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ(RawQuery(path, "SELECT ordinal FROM trials WHERE id = " +
                               std::to_string((*lease)->trial_id)),
            "0");
  auto expired = (*store)->ExpireLeases();
  ASSERT_OK(expired);
  EXPECT_TRUE(expired->empty());
  EXPECT_OK((*store)->CheckIntegrity());
}

// The WAL is checkpointed by the store's background thread, not inside a
// commit: with a small threshold, checkpoints happen while writes go on, and
// everything written is in the file after reopening.
TEST(StoreOpenTest, TheWalIsCheckpointedInTheBackground) {
  TempDir dir;
  const std::string path = dir.File("wal.db");
  StoreOptions options;
  options.wal_autocheckpoint_pages = 16;
  int64_t trial_id = 0;
  {
    auto store = Store::Open(path, options);
    ASSERT_OK(store);
    ASSERT_OK((*store)->RegisterWorker({"w1", "h", 1, {}}));
    ASSERT_OK((*store)->CreateSweep(MakeSweep("s", 1, "w")));
    auto lease = (*store)->LeaseNextTrial("w1", std::chrono::seconds(60));
    ASSERT_OK(lease);
    ASSERT_TRUE(lease->has_value());
    trial_id = (*lease)->trial_id;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const int64_t before = (*store)->stats().checkpoints;
    int epoch = 0;
    // Keep writing (each commit wakes the checkpointer once the log is long
    // enough) until a background checkpoint has run since `before`.
    do {
      MetricBatch batch;
      for (int k = 0; k < 20; ++k) batch.metrics.push_back({epoch, "m" + std::to_string(k), 0.5});
      ASSERT_OK((*store)->ReportMetrics(trial_id, (*lease)->token, batch));
      ++epoch;
    } while ((*store)->stats().checkpoints == before && std::chrono::steady_clock::now() < give_up);
    EXPECT_GT((*store)->stats().checkpoints, before);
    EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM metrics"), std::to_string(20 * epoch));
  }
  auto again = Store::Open(path, StoreOptions());
  ASSERT_OK(again);
  EXPECT_OK((*again)->CheckIntegrity());
  auto metrics = (*again)->GetMetrics(trial_id);
  ASSERT_OK(metrics);
  EXPECT_GT(metrics->metrics.size(), 0u);
  EXPECT_EQ(std::to_string(metrics->metrics.size()), RawQuery(path, "SELECT count(*) FROM metrics"));

  // Turned off: SQLite's own checkpoints, none counted.
  options.background_checkpoints = false;
  auto plain = Store::Open(dir.File("plain.db"), options);
  ASSERT_OK(plain);
  ASSERT_OK((*plain)->RegisterWorker({"w1", "h", 1, {}}));
  EXPECT_EQ((*plain)->stats().checkpoints, 0);
}

TEST(StoreOpenTest, ANewerSchemaIsRefusedClearly) {
  TempDir dir;
  const std::string path = dir.File("future.db");
  { ASSERT_OK(Store::Open(path, StoreOptions())); }
  RawQuery(path, "PRAGMA user_version = 99");
  auto store = Store::Open(path, StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos)
      << store.status().ToString();
  EXPECT_NE(store.status().message().find(path), std::string::npos);
}

TEST(StoreOpenTest, NotADatabaseIsDataLoss) {
  TempDir dir;
  const std::string path = dir.File("garbage.db");
  WriteFile(path, std::string(4096, 'x'));
  auto store = Store::Open(path, StoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
}

TEST(StoreOpenTest, ReadOnlyReadsButRefusesWrites) {
  TempDir dir;
  const std::string path = dir.File("ro.db");
  int64_t sweep_id = 0;
  {
    auto store = Store::Open(path, StoreOptions());
    ASSERT_OK(store);
    auto created = (*store)->CreateSweep(MakeSweep("s", 2, "h"));
    ASSERT_OK(created);
    sweep_id = created->sweep_id;
  }
  StoreOptions options;
  options.read_only = true;
  auto ro = Store::Open(path, options);
  ASSERT_OK(ro);
  auto sweep = (*ro)->GetSweep(sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->counts.queued, 2);

  auto created = (*ro)->CreateSweep(MakeSweep("t", 1, "x"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(created.status().message().find("read-only"), std::string::npos);
  auto worker = (*ro)->RegisterWorker({"w", "h", 1, {}});
  EXPECT_EQ(worker.status().code(), StatusCode::kFailedPrecondition);
  auto listed = (*ro)->ListSweeps();
  ASSERT_OK(listed);
  EXPECT_EQ(listed->size(), 1u);  // nothing was added
}

TEST(StoreOpenTest, ReadOnlyNeedsAnExistingMigratedFile) {
  TempDir dir;
  StoreOptions options;
  options.read_only = true;
  auto missing = Store::Open(dir.File("missing.db"), options);
  EXPECT_FALSE(missing.ok());
  // An empty file exists but has no schema; read-only cannot migrate it.
  WriteFile(dir.File("empty.db"), "");
  auto empty = Store::Open(dir.File("empty.db"), options);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(empty.status().message().find("migrat"), std::string::npos);
}

TEST_F(StoreTest, SweepRoundTripSurvivesReopening) {
  NewSweep sweep = MakeSweep("table2", 3, "cfg", /*priority=*/4, /*max_attempts=*/5);
  sweep.metric_name = "val_acc";
  sweep.metric_goal = "maximize";
  sweep.rerun = true;
  auto created = store_->CreateSweep(sweep);
  ASSERT_OK(created);
  EXPECT_EQ(created->trial_ids.size(), 3u);
  EXPECT_EQ(created->n_queued, 3);
  EXPECT_EQ(created->n_linked, 0);

  Reopen();
  auto info = store_->GetSweep(created->sweep_id);
  ASSERT_OK(info);
  EXPECT_EQ(info->sweep.name, "table2");
  EXPECT_EQ(info->sweep.spec_yaml, sweep.spec_yaml);
  EXPECT_EQ(info->sweep.state, SweepState::kPending);
  EXPECT_EQ(info->sweep.priority, 4);
  EXPECT_EQ(info->sweep.max_attempts, 5);
  EXPECT_TRUE(info->sweep.rerun);
  EXPECT_EQ(info->sweep.metric_name, "val_acc");
  EXPECT_EQ(info->sweep.metric_goal, "maximize");
  EXPECT_EQ(info->sweep.n_trials, 3);
  EXPECT_EQ(info->sweep.created_ms, clock_.NowMillis());
  EXPECT_FALSE(info->sweep.finished_ms.has_value());
  EXPECT_EQ(info->counts.queued, 3);
  EXPECT_EQ(info->counts.total(), 3);

  auto trials = store_->ListTrials(created->sweep_id);
  ASSERT_OK(trials);
  ASSERT_EQ(trials->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const TrialRecord& t = (*trials)[i];
    EXPECT_EQ(t.id, created->trial_ids[i]);
    EXPECT_EQ(t.ordinal, i);
    EXPECT_EQ(t.config_hash, sweep.trials[i].config_hash);
    EXPECT_EQ(t.config_json, sweep.trials[i].config_json);
    EXPECT_EQ(t.state, TrialState::kQueued);
    EXPECT_EQ(t.attempts, 0);
    EXPECT_TRUE(t.lease_token.empty());
  }

  auto events = store_->RecentEvents(10, created->sweep_id);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "sweep_submitted");
}

TEST_F(StoreTest, BadSweepsAndUnknownIdsAreRefused) {
  NewSweep bad = MakeSweep("bad", 1, "b");
  bad.max_attempts = 0;
  EXPECT_EQ(store_->CreateSweep(bad).status().code(), StatusCode::kInvalidArgument);
  bad = MakeSweep("bad", 1, "b");
  bad.metric_goal = "lowest";
  EXPECT_EQ(store_->CreateSweep(bad).status().code(), StatusCode::kInvalidArgument);
  bad = MakeSweep("bad", 1, "b");
  bad.trials[0].config_hash.clear();
  EXPECT_EQ(store_->CreateSweep(bad).status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(store_->GetSweep(999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListTrials(999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTrial(999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetMetrics(999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CancelSweep(999).status().code(), StatusCode::kNotFound);
  auto listed = store_->ListSweeps();
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->empty());
}

TEST_F(StoreTest, ListSweepsCountsTrialsPerStatusNewestFirst) {
  auto a = store_->CreateSweep(MakeSweep("a", 2, "a"));
  auto b = store_->CreateSweep(MakeSweep("b", 3, "b"));
  ASSERT_OK(a);
  ASSERT_OK(b);
  auto lease = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ((*lease)->sweep_id, a->sweep_id);

  auto sweeps = store_->ListSweeps();
  ASSERT_OK(sweeps);
  ASSERT_EQ(sweeps->size(), 2u);
  EXPECT_EQ((*sweeps)[0].sweep.id, b->sweep_id);
  EXPECT_EQ((*sweeps)[0].counts.queued, 3);
  EXPECT_EQ((*sweeps)[0].sweep.state, SweepState::kPending);
  EXPECT_EQ((*sweeps)[1].sweep.id, a->sweep_id);
  EXPECT_EQ((*sweeps)[1].counts.queued, 1);
  EXPECT_EQ((*sweeps)[1].counts.leased, 1);
  EXPECT_EQ((*sweeps)[1].sweep.state, SweepState::kRunning);
  auto one = store_->ListSweeps(1);
  ASSERT_OK(one);
  EXPECT_EQ(one->size(), 1u);
}

TEST_F(StoreTest, WorkerRoundTripWithCurrentTrials) {
  auto generated = store_->RegisterWorker({"", "gpu-box", 4, {}});
  ASSERT_OK(generated);
  EXPECT_EQ(generated->rfind("gpu-box-", 0), 0u) << *generated;
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 3, "h")));
  auto l1 = store_->LeaseNextTrial("w1", seconds(30));
  auto l2 = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(l1);
  ASSERT_OK(l2);

  Reopen();
  auto workers = store_->ListWorkers();
  ASSERT_OK(workers);
  ASSERT_EQ(workers->size(), 2u);
  const WorkerInfo& gpu_box = (*workers)[0];
  const WorkerInfo& w1 = (*workers)[1];
  EXPECT_EQ(gpu_box.worker.id, *generated);
  EXPECT_EQ(gpu_box.worker.slots, 4);
  EXPECT_TRUE(gpu_box.worker.gpus.empty());
  EXPECT_TRUE(gpu_box.current_trials.empty());
  EXPECT_EQ(w1.worker.id, "w1");
  EXPECT_EQ(w1.worker.host, "host-a");
  EXPECT_EQ(w1.worker.slots, 2);
  EXPECT_EQ(w1.worker.gpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(w1.worker.state, WorkerState::kAlive);
  EXPECT_EQ(w1.current_trials,
            (std::vector<int64_t>{(*l1)->trial_id, (*l2)->trial_id}));

  // Registering again updates the record instead of adding one.
  ASSERT_OK(store_->RegisterWorker({"w1", "host-b", 1, {3}}));
  workers = store_->ListWorkers();
  ASSERT_OK(workers);
  ASSERT_EQ(workers->size(), 2u);
  EXPECT_EQ((*workers)[1].worker.host, "host-b");
  EXPECT_EQ((*workers)[1].worker.gpus, (std::vector<int>{3}));

  EXPECT_EQ(store_->RegisterWorker({"w", "h", 0, {}}).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_OK(store_->MarkWorkerStopped("w1"));
  EXPECT_EQ(store_->MarkWorkerStopped("nobody").code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, LostWorkersAreMarkedAndComeBackWithAHeartbeat) {
  ASSERT_OK(store_->RegisterWorker({"w2", "host-b", 1, {}}));
  clock_.Advance(seconds(20));
  auto hb = store_->Heartbeat("w2", {}, seconds(30));
  ASSERT_OK(hb);
  clock_.Advance(seconds(20));
  // w1 was last seen 40 s ago, w2 20 s ago.
  auto lost = store_->MarkLostWorkers(seconds(30));
  ASSERT_OK(lost);
  EXPECT_EQ(*lost, (std::vector<std::string>{"w1"}));
  auto again = store_->MarkLostWorkers(seconds(30));
  ASSERT_OK(again);
  EXPECT_TRUE(again->empty());  // already lost

  ASSERT_OK(store_->Heartbeat("w1", {}, seconds(30)));
  auto workers = store_->ListWorkers();
  ASSERT_OK(workers);
  EXPECT_EQ((*workers)[0].worker.state, WorkerState::kAlive);
  EXPECT_EQ((*workers)[0].worker.last_seen_ms, clock_.NowMillis());

  auto events = store_->RecentEvents(2);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, "worker_lost");
  EXPECT_EQ((*events)[1].kind, "worker_back");
  EXPECT_EQ((*events)[1].worker_id, "w1");

  EXPECT_EQ(store_->Heartbeat("nobody", {}, seconds(30)).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, MetricsPerClassAndPayloadsRoundTrip) {
  auto created = store_->CreateSweep(MakeSweep("s", 1, "h"));
  ASSERT_OK(created);
  auto lease = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  const Lease l = **lease;
  EXPECT_EQ(l.attempt, 1);
  EXPECT_EQ(l.token.size(), 32u);
  EXPECT_EQ(l.deadline_ms, clock_.NowMillis() + 30000);

  MetricBatch batch;
  batch.payloads.push_back({-1, "start", "{\"event\":\"start\"}"});
  for (int epoch = 0; epoch < 3; ++epoch) {
    batch.metrics.push_back({epoch, "val_error", 0.5 - 0.1 * epoch + (epoch == 2 ? 0.15 : 0)});
    batch.metrics.push_back({epoch, "train_loss", 2.0 / (epoch + 1)});
    for (int c = 0; c < 3; ++c) batch.per_class.push_back({epoch, "error", c, 0.1 * c + epoch});
  }
  batch.metrics.push_back({3, "lr", std::nan("")});
  batch.payloads.push_back({2, "confusion", "[[1,0],[0,1]]"});
  ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, batch));

  auto m = store_->GetMetrics(l.trial_id);
  ASSERT_OK(m);
  EXPECT_EQ(m->source_trial_id, l.trial_id);
  EXPECT_EQ(m->attempt, 1);
  ASSERT_EQ(m->metrics.size(), 7u);
  EXPECT_EQ(m->metrics[0].epoch, 0);
  EXPECT_EQ(m->metrics[0].name, "train_loss");  // by epoch, then name
  EXPECT_DOUBLE_EQ(m->metrics[0].value, 2.0);
  EXPECT_EQ(m->metrics[1].name, "val_error");
  EXPECT_DOUBLE_EQ(m->metrics[1].value, 0.5);
  EXPECT_EQ(m->metrics[6].name, "lr");
  EXPECT_TRUE(std::isnan(m->metrics[6].value));
  ASSERT_EQ(m->per_class.size(), 9u);
  EXPECT_EQ(m->per_class[5].epoch, 1);
  EXPECT_EQ(m->per_class[5].class_index, 2);
  EXPECT_DOUBLE_EQ(m->per_class[5].value, 1.2);
  ASSERT_EQ(m->payloads.size(), 2u);
  EXPECT_EQ(m->payloads[0].kind, "start");
  EXPECT_EQ(m->payloads[0].epoch, -1);
  EXPECT_EQ(m->payloads[1].json, "[[1,0],[0,1]]");

  // best/last of the sweep's metric (val_error, minimize) follow the reports.
  auto trial = store_->GetTrial(l.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kRunning);
  ASSERT_TRUE(trial->trial.best_metric.has_value());
  EXPECT_DOUBLE_EQ(*trial->trial.best_metric, 0.4);
  EXPECT_EQ(trial->trial.best_epoch, 1);
  EXPECT_DOUBLE_EQ(*trial->trial.last_metric, 0.45);

  clock_.Advance(seconds(5));
  auto finish = store_->FinishAttempt(l.trial_id, l.token,
                                      {0, AttemptOutcome::kSucceeded, "", 0.4, 0.45, 1});
  ASSERT_OK(finish);
  EXPECT_EQ(finish->trial_state, TrialState::kSucceeded);
  EXPECT_FALSE(finish->requeued);

  Reopen();
  trial = store_->GetTrial(l.trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kSucceeded);
  EXPECT_TRUE(trial->trial.lease_token.empty());
  EXPECT_FALSE(trial->trial.lease_deadline_ms.has_value());
  EXPECT_EQ(trial->trial.worker_id, "w1");
  EXPECT_EQ(trial->trial.finished_ms, clock_.NowMillis());
  EXPECT_TRUE(trial->trial.error.empty());
  ASSERT_EQ(trial->attempts.size(), 1u);
  const AttemptRecord& a = trial->attempts[0];
  EXPECT_EQ(a.attempt, 1);
  EXPECT_EQ(a.worker_id, "w1");
  EXPECT_EQ(a.lease_token, l.token);
  EXPECT_EQ(a.state, AttemptState::kSucceeded);
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.ended_ms.value_or(0) - a.started_ms, 5000);

  auto sweep = store_->GetSweep(created->sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
  EXPECT_EQ(sweep->sweep.finished_ms, clock_.NowMillis());

  auto events = store_->ListEvents({0, created->sweep_id, std::nullopt, 100});
  ASSERT_OK(events);
  std::vector<std::string> kinds;
  for (const EventRecord& e : *events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"sweep_submitted", "trial_leased", "sweep_running",
                                             "trial_running", "trial_succeeded", "sweep_done"}));
  auto after = store_->ListEvents({(*events)[3].id, created->sweep_id, std::nullopt, 100});
  ASSERT_OK(after);
  EXPECT_EQ(after->size(), 2u);
  auto by_trial = store_->ListEvents({0, std::nullopt, l.trial_id, 100});
  ASSERT_OK(by_trial);
  EXPECT_EQ(by_trial->size(), 3u);
  auto first_two = store_->ListEvents({0, std::nullopt, std::nullopt, 2});
  ASSERT_OK(first_two);
  ASSERT_EQ(first_two->size(), 2u);
  EXPECT_EQ((*first_two)[0].kind, "worker_joined");
  EXPECT_EQ((*first_two)[0].worker_id, "w1");
  EXPECT_EQ((*first_two)[1].kind, "sweep_submitted");
  auto other_sweep = store_->ListEvents({0, created->sweep_id + 1, std::nullopt, 100});
  ASSERT_OK(other_sweep);
  EXPECT_TRUE(other_sweep->empty());
}

TEST_F(StoreTest, ResentMetricRowsLeaveNoDuplicates) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  auto lease = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(lease);
  const Lease l = **lease;
  MetricBatch batch;
  for (int epoch = 0; epoch < 4; ++epoch) {
    batch.metrics.push_back({epoch, "val_error", 0.1 * epoch});
    batch.per_class.push_back({epoch, "error", 0, 0.2});
    batch.payloads.push_back({epoch, "confusion", "[]"});
  }
  ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, batch));
  ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, batch));  // a worker re-sends
  // A re-send with a corrected value replaces the row.
  MetricBatch fix;
  fix.metrics.push_back({3, "val_error", 0.25});
  ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, fix));

  auto m = store_->GetMetrics(l.trial_id);
  ASSERT_OK(m);
  EXPECT_EQ(m->metrics.size(), 4u);
  EXPECT_EQ(m->per_class.size(), 4u);
  EXPECT_EQ(m->payloads.size(), 4u);
  EXPECT_DOUBLE_EQ(m->metrics[3].value, 0.25);
  EXPECT_EQ(RawQuery(path_, "SELECT count(*) FROM metrics"), "4");
}

// Issue 11 changed this contract: a bad row used to refuse the whole batch
// (INVALID_ARGUMENT, nothing written), which made a worker drop good rows.
// Now the bad row alone is rejected and counted.
TEST_F(StoreTest, BadRowsAreRejectedOneByOneAndTheOthersWritten) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 1, "h")));
  auto lease = store_->LeaseNextTrial("w1", seconds(30));
  ASSERT_OK(lease);
  MetricBatch batch;
  batch.metrics.push_back({0, "val_error", 0.5});
  batch.metrics.push_back({1, "", 0.5});
  ReportResult result;
  ASSERT_OK(store_->ReportMetrics((*lease)->trial_id, (*lease)->token, batch, &result));
  EXPECT_EQ(result.rows_written, 1);
  EXPECT_EQ(result.rows_rejected, 1);
  EXPECT_EQ(result.first_rejection, "metric row of epoch 1 has no name");
  auto m = store_->GetMetrics((*lease)->trial_id);
  ASSERT_OK(m);
  ASSERT_EQ(m->metrics.size(), 1u);
  EXPECT_EQ(m->metrics[0].name, "val_error");
}

TEST_F(StoreTest, AFailedCommitWritesNothing) {
  // Fault injection: a store whose second commit fails.
  StoreOptions options = Options();
  int commits = 0;
  options.before_commit = [&commits]() {
    return ++commits == 2 ? UnavailableError("injected commit failure") : Status::Ok();
  };
  store_.reset();
  auto store = Store::Open(path_, options);
  ASSERT_OK(store);
  auto created = (*store)->CreateSweep(MakeSweep("s", 2, "h"));  // commit 1
  ASSERT_OK(created);
  auto lease = (*store)->LeaseNextTrial("w1", seconds(30));      // commit 2 fails
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.status().message(), "injected commit failure");
  auto trials = (*store)->ListTrials(created->sweep_id);
  ASSERT_OK(trials);
  EXPECT_EQ((*trials)[0].state, TrialState::kQueued);
  EXPECT_EQ((*trials)[0].attempts, 0);
  auto again = (*store)->LeaseNextTrial("w1", seconds(30));     // commit 3
  ASSERT_OK(again);
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->trial_id, created->trial_ids[0]);
  EXPECT_EQ((*again)->attempt, 1);
  EXPECT_OK((*store)->CheckIntegrity());
}

TEST_F(StoreTest, TokensAreRandomHexAndReproducibleWithASeed) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("s", 4, "h")));
  std::set<std::string> tokens;
  std::vector<std::string> first;
  for (int i = 0; i < 4; ++i) {
    auto lease = store_->LeaseNextTrial("w1", seconds(30));
    ASSERT_OK(lease);
    const std::string& token = (*lease)->token;
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    tokens.insert(token);
    first.push_back(token);
  }
  EXPECT_EQ(tokens.size(), 4u);

  // The same seed on a fresh file gives the same tokens.
  TempDir other;
  auto store = Store::Open(other.File("r.db"), Options());
  ASSERT_OK(store);
  ASSERT_OK((*store)->RegisterWorker({"w1", "host-a", 2, {0, 1}}));
  ASSERT_OK((*store)->CreateSweep(MakeSweep("s", 4, "h")));
  for (int i = 0; i < 4; ++i) {
    auto lease = (*store)->LeaseNextTrial("w1", seconds(30));
    ASSERT_OK(lease);
    EXPECT_EQ((*lease)->token, first[i]);
  }
}

TEST_F(StoreTest, ManyThreadsLeaseEachTrialOnce) {
  const int kTrials = 200;
  auto created = store_->CreateSweep(MakeSweep("s", kTrials, "h"));
  ASSERT_OK(created);
  std::vector<std::vector<int64_t>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t, &got]() {
      for (;;) {
        auto lease = store_->LeaseNextTrial("w1", seconds(30));
        if (!lease.ok() || !lease->has_value()) return;
        MetricBatch batch;
        batch.metrics.push_back({0, "val_error", 0.5});
        if (!store_->ReportMetrics((*lease)->trial_id, (*lease)->token, batch).ok()) return;
        if (!store_->FinishAttempt((*lease)->trial_id, (*lease)->token, {}).ok()) return;
        got[t].push_back((*lease)->trial_id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::multiset<int64_t> all;
  for (const auto& ids : got) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kTrials));
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), static_cast<size_t>(kTrials));
  auto sweep = store_->GetSweep(created->sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->counts.succeeded, kTrials);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
}

TEST_F(StoreTest, AReaderInAnotherConnectionSeesCommittedWrites) {
  StoreOptions ro_options;
  ro_options.read_only = true;
  auto reader = Store::Open(path_, ro_options);
  ASSERT_OK(reader);
  auto created = store_->CreateSweep(MakeSweep("s", 2, "h"));
  ASSERT_OK(created);
  auto seen = (*reader)->GetSweep(created->sweep_id);
  ASSERT_OK(seen);
  EXPECT_EQ(seen->counts.queued, 2);
}

}  // namespace
}  // namespace ltsweep::testing
