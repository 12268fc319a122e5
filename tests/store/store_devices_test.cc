// Store: scheduling that knows devices (issue 14). A sweep's trials go only
// to slots holding exactly its resources.gpus GPUs (0: CPU slots), and the
// store says which slot kinds the alive workers offer.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/store/store_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using std::chrono::seconds;

class StoreDevicesTest : public StoreTest {
 protected:
  int64_t CreateWithGpus(const std::string& name, int n, int gpus) {
    NewSweep sweep = MakeSweep(name, n, name);
    sweep.gpus = gpus;
    auto created = store_->CreateSweep(sweep);
    EXPECT_OK(created);
    return created.ok() ? created->sweep_id : 0;
  }
  // The sweep of the trial leased by a slot holding `slot_gpus` GPUs (0: none).
  int64_t LeasedSweep(int slot_gpus) {
    auto lease = store_->LeaseNextTrial("w1", seconds(30), "", slot_gpus);
    EXPECT_OK(lease);
    return lease.ok() && lease->has_value() ? (*lease)->sweep_id : 0;
  }
};

TEST_F(StoreDevicesTest, EachSlotKindGetsOnlyTrialsAskingForItsGpuCount) {
  // The GPU sweeps are older and higher in the queue order: a CPU slot must
  // skip them, and a 1-GPU slot the 2-GPU sweep.
  const int64_t two = CreateWithGpus("two", 1, 2);
  const int64_t one = CreateWithGpus("one", 2, 1);
  const int64_t cpu = CreateWithGpus("cpu", 2, 0);
  EXPECT_EQ(LeasedSweep(0), cpu);
  EXPECT_EQ(LeasedSweep(0), cpu);
  EXPECT_EQ(LeasedSweep(0), 0) << "a CPU slot must never get a GPU trial";
  EXPECT_EQ(LeasedSweep(4), 0) << "no sweep asks for 4 GPUs";
  EXPECT_EQ(LeasedSweep(1), one);
  EXPECT_EQ(LeasedSweep(1), one);
  EXPECT_EQ(LeasedSweep(1), 0);
  EXPECT_EQ(LeasedSweep(2), two);
  auto info = store_->GetSweep(two);
  ASSERT_OK(info);
  EXPECT_EQ(info->sweep.gpus, 2);
}

TEST_F(StoreDevicesTest, GpusAreKeptAcrossAReopenAndBadCountsAreRefused) {
  const int64_t id = CreateWithGpus("g", 1, 3);
  Reopen();
  auto info = store_->GetSweep(id);
  ASSERT_OK(info);
  EXPECT_EQ(info->sweep.gpus, 3);
  NewSweep bad = MakeSweep("bad", 1, "bad");
  bad.gpus = 65;
  EXPECT_EQ(store_->CreateSweep(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->LeaseNextTrial("w1", seconds(30), "", -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->LeaseNextTrial("w1", seconds(30), "", 65).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreDevicesTest, AliveSlotKindsComeFromTheAliveWorkersOnly) {
  // w1 (from StoreTest) registered without slot_gpus but with GPUs: 1-GPU slots.
  auto kinds = store_->AliveSlotKinds();
  ASSERT_OK(kinds);
  EXPECT_EQ(kinds->alive_workers, 1);
  EXPECT_EQ(kinds->gpu_counts, (std::vector<int>{1}));

  WorkerRegistration mixed{"w2", "host-b", 3, {0, 1}, {0, 2, 2}};
  ASSERT_OK(store_->RegisterWorker(mixed));
  kinds = store_->AliveSlotKinds();
  ASSERT_OK(kinds);
  EXPECT_EQ(kinds->gpu_counts, (std::vector<int>{0, 1, 2}));

  ASSERT_OK(store_->MarkWorkerStopped("w1"));
  ASSERT_OK(store_->MarkWorkerStopped("w2"));
  kinds = store_->AliveSlotKinds();
  ASSERT_OK(kinds);
  EXPECT_EQ(kinds->alive_workers, 0);
  EXPECT_TRUE(kinds->gpu_counts.empty());

  WorkerRegistration mismatch{"w3", "host-c", 2, {}, {0}};
  EXPECT_EQ(store_->RegisterWorker(mismatch).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ltsweep::testing
