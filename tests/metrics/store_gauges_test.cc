// Store::ReadGauges and the group-commit size buckets that /metrics reads
// (coordinator/coordinator_metrics.h), on a real SQLite file: trials by state
// summed over sweeps, workers by state (alive, quarantined, lost, stopped),
// and transactions counted by size.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "coordinator/coordinator_metrics.h"
#include "store/group_commit.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace ltsweep::testing {
namespace {

using namespace std::chrono_literals;

TEST(GroupSizeBucketTest, PowersOfTwoUpTo64ThenOne) {
  EXPECT_EQ(sqlite::GroupSizeBucket(1), 0);
  EXPECT_EQ(sqlite::GroupSizeBucket(2), 1);
  EXPECT_EQ(sqlite::GroupSizeBucket(3), 2);
  EXPECT_EQ(sqlite::GroupSizeBucket(4), 2);
  EXPECT_EQ(sqlite::GroupSizeBucket(64), 6);
  EXPECT_EQ(sqlite::GroupSizeBucket(65), 7);
  EXPECT_EQ(sqlite::GroupSizeBucket(100000), 7);
}

class StoreGaugesTest : public StoreTest {};

TEST_F(StoreGaugesTest, TrialsSummedOverSweepsAndWorkersByState) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("a", 3, "a")));
  ASSERT_OK(store_->CreateSweep(MakeSweep("b", 2, "b")));
  auto lease = store_->LeaseNextTrial("w1", 30s);
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  ASSERT_OK(store_->RegisterWorker({"w2", "host-b", 1, {}}));
  ASSERT_OK(store_->RegisterWorker({"w3", "host-c", 1, {}}));
  ASSERT_OK(store_->RegisterWorker({"w4", "host-d", 1, {}}));
  ASSERT_OK(store_->MarkWorkerStopped("w3"));
  // w4 quarantined until 10 minutes from now (what a third failure in a row writes).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  const std::string sql =
      "UPDATE workers SET quarantined_until_ms = " + std::to_string(clock_.NowMillis() + 600000) + " WHERE id = 'w4'";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  clock_.Advance(20s);
  ASSERT_OK(store_->Heartbeat("w1", {}, 30s));
  ASSERT_OK(store_->Heartbeat("w4", {}, 30s));
  auto lost = store_->MarkLostWorkers(10s);  // w2 silent for 20 s
  ASSERT_OK(lost);

  auto gauges = store_->ReadGauges();
  ASSERT_OK(gauges);
  EXPECT_EQ(gauges->trials.queued, 4);
  EXPECT_EQ(gauges->trials.leased, 1);
  EXPECT_EQ(gauges->trials.total(), 5);
  EXPECT_EQ(gauges->workers_alive, 1);
  EXPECT_EQ(gauges->workers_quarantined, 1);
  EXPECT_EQ(gauges->workers_lost, 1);
  EXPECT_EQ(gauges->workers_stopped, 1);

  clock_.Advance(11min);  // the cool-down is over: alive again
  gauges = store_->ReadGauges();
  ASSERT_OK(gauges);
  EXPECT_EQ(gauges->workers_quarantined, 0);
  EXPECT_EQ(gauges->workers_alive, 2);
}

TEST_F(StoreGaugesTest, GroupSizesCountEveryTransaction) {
  ASSERT_OK(store_->CreateSweep(MakeSweep("a", 3, "a")));
  const StoreStats stats = store_->stats();
  int64_t counted = 0;
  for (int64_t n : stats.group_sizes) counted += n;
  EXPECT_GT(stats.write_transactions, 0);
  EXPECT_EQ(counted, stats.write_transactions);

  auto families = coordinator::StoreFamilies(*store_);
  ASSERT_OK(families);
  bool found = false;
  for (const metrics::FamilySnapshot& f : *families) {
    if (f.name != "ltsweep_store_group_commit_size") continue;
    found = true;
    EXPECT_EQ(f.type, metrics::MetricType::kHistogram);
    EXPECT_EQ(f.samples.back().suffix, "_count");
    EXPECT_EQ(f.samples.back().value, stats.write_transactions);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ltsweep::testing
