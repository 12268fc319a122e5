// Slot layout (worker/slot_layout.h) and GPU discovery (worker/gpu_detect.h):
// pure functions, no process or socket.
#include "worker/slot_layout.h"

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"
#include "worker/gpu_detect.h"

namespace ltsweep::worker {
namespace {

TEST(PickCpuSlotsTest, OneSingleThreadSlotPerCoreWhenTrialsAreMany) {
  // Measured on 2 cores: two 1-thread trials at a time beat one 2-thread
  // trial (80 s vs 103 s for a 4-trial sweep).
  EXPECT_EQ(PickCpuSlots(2, 4).slots, 2);
  EXPECT_EQ(PickCpuSlots(2, 4).threads, 1);
  EXPECT_EQ(PickCpuSlots(16, 0).slots, 16);  // trials unknown (a daemon)
  EXPECT_EQ(PickCpuSlots(16, 0).threads, 1);
}

TEST(PickCpuSlotsTest, FewerTrialsThanCoresShareTheCoresOutAsThreads) {
  EXPECT_EQ(PickCpuSlots(8, 2).slots, 2);
  EXPECT_EQ(PickCpuSlots(8, 2).threads, 4);
  EXPECT_EQ(PickCpuSlots(2, 1).slots, 1);
  EXPECT_EQ(PickCpuSlots(2, 1).threads, 2);
  EXPECT_EQ(PickCpuSlots(8, 3).threads, 2);  // 8 / 3, rounded down
  EXPECT_EQ(PickCpuSlots(0, 5).slots, 1);    // never below one slot
}

TEST(PlanSlotsTest, GpuGroupsPackedKPerGpuThenCpuSlots) {
  SlotPlanInput in;
  in.gpus = {0, 1, 2, 3};
  in.gpus_per_slot = 2;
  in.trials_per_gpu = 2;
  in.cpu_slots = 1;
  in.cores = 10;
  auto slots = PlanSlots(in);
  ASSERT_TRUE(slots.ok()) << slots.status().message();
  ASSERT_EQ(slots->size(), 5u);
  EXPECT_EQ((*slots)[0].gpus, (std::vector<int>{0, 1}));
  EXPECT_EQ((*slots)[1].gpus, (std::vector<int>{0, 1}));
  EXPECT_EQ((*slots)[2].gpus, (std::vector<int>{2, 3}));
  EXPECT_EQ((*slots)[3].gpus, (std::vector<int>{2, 3}));
  EXPECT_DOUBLE_EQ((*slots)[0].gpu_memory_fraction, 0.5);
  EXPECT_TRUE((*slots)[4].gpus.empty());
  EXPECT_EQ((*slots)[4].gpu_memory_fraction, 0);
  for (const auto& s : *slots) EXPECT_EQ(s.threads, 2);  // 10 cores / 5 slots
  EXPECT_EQ(DescribeSlots(*slots), "1 CPU slot x 2 threads; 4 GPU slots: [0,1] [0,1] [2,3] [2,3] (GPU memory share "
                                   "0.5 each)");
}

TEST(PlanSlotsTest, AutoCpuSlotsUseTheCoresTheGpuSlotsLeave) {
  SlotPlanInput in;
  in.gpus = {0};
  in.cpu_slots = kAutoSlots;
  in.cores = 4;
  auto slots = PlanSlots(in);
  ASSERT_TRUE(slots.ok()) << slots.status().message();
  ASSERT_EQ(slots->size(), 4u);  // 1 GPU slot + 3 one-thread CPU slots
  EXPECT_EQ((*slots)[0].gpus, (std::vector<int>{0}));
  EXPECT_EQ((*slots)[0].gpu_memory_fraction, 0);  // one trial per GPU: the whole device
  for (int i = 1; i < 4; ++i) {
    EXPECT_TRUE((*slots)[i].gpus.empty());
    EXPECT_EQ((*slots)[i].threads, 1);
  }
  in.threads_per_trial = 3;  // --threads wins
  slots = PlanSlots(in);
  ASSERT_TRUE(slots.ok());
  for (const auto& s : *slots) EXPECT_EQ(s.threads, 3);
}

TEST(PlanSlotsTest, BadValuesNameTheFlag) {
  auto error_of = [](SlotPlanInput in) {
    auto s = PlanSlots(in);
    return s.ok() ? std::string("ok") : s.status().message();
  };
  SlotPlanInput in;
  in.gpus = {0, 1, 2};
  in.gpus_per_slot = 2;
  EXPECT_NE(error_of(in).find("--gpus-per-slot 2: 3 GPU(s) do not split"), std::string::npos) << error_of(in);
  in = {};
  in.gpus = {1, 1};
  EXPECT_NE(error_of(in).find("--gpus: GPU 1 is listed twice"), std::string::npos);
  in = {};
  in.gpus = {0};
  in.trials_per_gpu = 0;
  EXPECT_NE(error_of(in).find("--trials-per-gpu"), std::string::npos);
  in.trials_per_gpu = 65;
  EXPECT_NE(error_of(in).find("--trials-per-gpu"), std::string::npos);
  in = {};
  in.cpu_slots = 0;
  EXPECT_NE(error_of(in).find("no trial slots"), std::string::npos);
}

TEST(LocalSlotsTest, CpuSpecGetsAutoSlotsAndSaysWhy) {
  auto c = ChooseLocalSlots(0, kAutoSlots, 0, {0, 1}, "nvidia-smi", 2, 4);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cpu_slots, 2);
  EXPECT_EQ(c->threads, 1);
  EXPECT_TRUE(c->gpus.empty()) << "a CPU spec leaves the GPUs alone";
  EXPECT_NE(c->text.find("auto: 2 CPU slots x 1 thread (2 cores, 4 trials"), std::string::npos) << c->text;
  c = ChooseLocalSlots(0, 3, 0, {}, "none found", 2, 4);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cpu_slots, 3);
  EXPECT_EQ(c->threads, 0);  // the worker's default
}

TEST(LocalSlotsTest, GpuSpecWithoutEnoughGpusIsRefusedWithAdvice) {
  auto c = ChooseLocalSlots(1, kAutoSlots, 0, {}, "detected: none found", 2, 4);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("need 1 GPU each (resources.gpus: 1) but no GPU was found here"),
            std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("set resources.gpus: 0"), std::string::npos);
  c = ChooseLocalSlots(2, kAutoSlots, 0, {0, 1, 2}, "--gpus", 8, 4);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->gpus, (std::vector<int>{0, 1}));  // one 2-GPU slot; GPU 2 left over
  EXPECT_EQ(c->gpus_per_slot, 2);
  EXPECT_EQ(c->cpu_slots, 0);
}

TEST(GpuDetectTest, VisibleDevicesWinOverNvidiaSmi) {
  EXPECT_EQ(DetectGpus(std::string("3,5"), std::string("GPU 0: A\nGPU 1: B\nGPU 2: C\n")).gpus,
            (std::vector<int>{0, 1}));
  EXPECT_EQ(DetectGpus(std::string("GPU-ab12,GPU-cd34,-1,7"), std::nullopt).gpus, (std::vector<int>{0, 1}));
  EXPECT_TRUE(DetectGpus(std::string(""), std::string("GPU 0: A\n")).gpus.empty());  // set but empty: none
  EXPECT_TRUE(DetectGpus(std::string("-1"), std::nullopt).gpus.empty());
  const GpuDetection smi = DetectGpus(std::nullopt, std::string("GPU 0: NVIDIA H200 (UUID: x)\nGPU 1: NVIDIA H200\n"));
  EXPECT_EQ(smi.gpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(smi.source, "nvidia-smi");
  EXPECT_EQ(DetectGpus(std::nullopt, std::nullopt).source, "none found");
}

TEST(GpuDetectTest, TrainersSeeTheWorkersOwnDevicesByPosition) {
  EXPECT_EQ(*ChildVisibleDevices({0, 1}, std::nullopt), "0,1");
  EXPECT_EQ(*ChildVisibleDevices({1}, std::string("5,7")), "7");
  EXPECT_EQ(*ChildVisibleDevices({0, 1}, std::string("GPU-ab,GPU-cd")), "GPU-ab,GPU-cd");
  EXPECT_EQ(*ChildVisibleDevices({}, std::string("5")), "");
  auto bad = ChildVisibleDevices({2}, std::string("5,7"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("GPU 2 is not among the worker's CUDA_VISIBLE_DEVICES \"5,7\""),
            std::string::npos);
}

}  // namespace
}  // namespace ltsweep::worker
