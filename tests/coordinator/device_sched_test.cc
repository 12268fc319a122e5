// Scheduling that knows devices (issue 14), end to end: a real coordinator on
// loopback and two real worker daemons, one with CPU slots only and one
// advertising two (fake) GPUs packed two trials per GPU. The fake trainer
// records the --device, --gpu-memory-fraction and CUDA_VISIBLE_DEVICES each
// run was given (LTSWEEP_FAKE_DEVICE_LOG).
#include <algorithm>
#include <fstream>
#include <thread>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using namespace std::chrono_literals;

// A sweep of `n` fake trials (distinct lrs, so no two sweeps share a config)
// asking for `gpus` GPUs each.
std::string GpuSpec(const std::string& name, int gpus, int n, double lr0, int epochs = 3) {
  std::string lrs;
  for (int i = 0; i < n; ++i) lrs += (lrs.empty() ? "" : ", ") + fmt::format("{}", lr0 + 0.001 * i);
  return fmt::format("name: {}\nresources: {{gpus: {}}}\nconfig:\n  train: {{epochs: {}}}\nparameters:\n"
                     "  train.lr: {{values: [{}]}}\n",
                     name, gpus, epochs, lrs);
}

std::vector<nlohmann::json> ReadLog(const std::string& path) {
  std::vector<nlohmann::json> runs;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) runs.push_back(nlohmann::json::parse(line));
  return runs;
}

class DeviceSchedTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() || std::getenv("LTSWEEP_TEST_SHOW_LOGS")) {
      std::cerr << "---- coordinator log ----\n" << cluster_.CoordinatorLog();
      for (const auto& id : started_) std::cerr << "---- worker " << id << " log ----\n" << cluster_.WorkerLog(id);
    }
  }
  void Worker(const std::string& id, int cpu_slots, std::map<std::string, std::string> env,
              std::vector<std::string> args) {
    started_.push_back(id);
    env["LTSWEEP_FAKE_DEVICE_LOG"] = dir_.File(id + "-devices.log");
    cluster_.StartWorker(WorkerSpec{id, cpu_slots, std::move(env), std::move(args)});
  }
  v1::WorkerInfo WorkerInfo(const std::string& id) {
    grpc::ClientContext ctx;
    v1::ListWorkersResponse resp;
    cluster_.client().ListWorkers(&ctx, v1::ListWorkersRequest(), &resp);
    for (const auto& w : resp.workers()) {
      if (w.worker_id() == id) return w;
    }
    return {};
  }

  TempDir dir_;
  Cluster cluster_{dir_};
  std::vector<std::string> started_;
};

TEST_F(DeviceSchedTest, CpuTrialsNeverLandOnGpuSlotsNorGpuTrialsOnCpuSlots) {
  cluster_.StartCoordinator();
  // Queued before any worker asks, so every slot leases at once.
  const int64_t cpu_sweep = cluster_.Submit(GpuSpec("cpu", 0, 6, 0.1));
  const int64_t gpu_sweep = cluster_.Submit(GpuSpec("gpu", 1, 6, 0.2));
  Worker("cpu", 2, {{"LTSWEEP_FAKE_EPOCH_MS", "300"}}, {"--gpus", "none"});
  // The GPU worker runs under CUDA_VISIBLE_DEVICES=5,7 (as under a batch
  // scheduler): its GPUs 0 and 1 are devices 5 and 7, two trials on each.
  Worker("gpu", 0, {{"LTSWEEP_FAKE_EPOCH_MS", "300"}, {"CUDA_VISIBLE_DEVICES", "5,7"}},
         {"--gpus", "0,1", "--trials-per-gpu", "2"});

  int most_at_once = 0;  // trials the GPU worker held at the same time
  ASSERT_TRUE(WaitUntil([&] {
    most_at_once = std::max(most_at_once, WorkerInfo("gpu").current_size());
    return cluster_.Sweep(cpu_sweep).state() == "done" && cluster_.Sweep(gpu_sweep).state() == "done";
  }, 25s));
  for (const auto& t : cluster_.Trials(cpu_sweep)) EXPECT_EQ(t.worker_id(), "cpu") << "trial " << t.trial_id();
  for (const auto& t : cluster_.Trials(gpu_sweep)) EXPECT_EQ(t.worker_id(), "gpu") << "trial " << t.trial_id();

  const auto cpu_runs = ReadLog(dir_.File("cpu-devices.log"));
  EXPECT_EQ(cpu_runs.size(), 6u);
  for (const auto& r : cpu_runs) {
    EXPECT_EQ(r["device"], "cpu") << r.dump();
    EXPECT_EQ(r["cuda_visible_devices"], "") << r.dump();
    EXPECT_EQ(r["gpu_memory_fraction"], 0.0) << r.dump();
  }
  const auto gpu_runs = ReadLog(dir_.File("gpu-devices.log"));
  EXPECT_EQ(gpu_runs.size(), 6u);
  std::map<std::string, int> per_device;
  for (const auto& r : gpu_runs) {
    EXPECT_EQ(r["device"], "cuda") << r.dump();
    EXPECT_EQ(r["gpu_memory_fraction"], 0.5) << r.dump() << ": two trials share each GPU";
    per_device[r["cuda_visible_devices"].get<std::string>()]++;
  }
  EXPECT_EQ(per_device.size(), 2u);
  EXPECT_GT(per_device["5"], 0);
  EXPECT_GT(per_device["7"], 0);

  const v1::WorkerInfo gpu = WorkerInfo("gpu");
  EXPECT_EQ(gpu.slots(), 4) << "2 GPUs x 2 trials per GPU, no CPU slot";
  EXPECT_EQ(most_at_once, 4) << "the 4 GPU slots ran at the same time";
}

TEST_F(DeviceSchedTest, ASweepNoWorkerCanServeSaysWhyUntilOneCan) {
  cluster_.StartCoordinator();
  const int64_t sweep = cluster_.Submit(GpuSpec("two-gpus", 2, 2, 0.3, 1));
  EXPECT_EQ(cluster_.Sweep(sweep).waiting(), "no worker is alive");
  Worker("cpu", 1, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}}, {"--gpus", "none"});
  ASSERT_TRUE(WaitUntil([&] { return WorkerInfo("cpu").state() == "alive"; }, 10s));
  EXPECT_EQ(cluster_.Sweep(sweep).waiting(), "no worker has a slot with 2 GPUs");
  EXPECT_EQ(cluster_.Sweep(sweep).gpus(), 2);
  {
    grpc::ClientContext ctx;  // ListSweeps (ltsweep status) says the same
    v1::ListSweepsResponse all;
    ASSERT_TRUE(cluster_.client().ListSweeps(&ctx, v1::ListSweepsRequest(), &all).ok());
    ASSERT_EQ(all.sweeps_size(), 1);
    EXPECT_EQ(all.sweeps(0).waiting(), "no worker has a slot with 2 GPUs");
  }
  std::this_thread::sleep_for(1s);  // the CPU worker keeps asking and gets nothing
  EXPECT_EQ(cluster_.Sweep(sweep).trials_queued(), 2);

  // A worker whose slot holds both its GPUs serves it.
  Worker("gpu2", 0, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}}, {"--gpus", "0,1", "--gpus-per-slot", "2"});
  ASSERT_TRUE(cluster_.WaitFinished(sweep, 15s));
  EXPECT_EQ(cluster_.Sweep(sweep).waiting(), "");
  for (const auto& t : cluster_.Trials(sweep)) EXPECT_EQ(t.worker_id(), "gpu2");
  for (const auto& r : ReadLog(dir_.File("gpu2-devices.log"))) {
    EXPECT_EQ(r["cuda_visible_devices"], "0,1") << r.dump();
    EXPECT_EQ(r["gpu_memory_fraction"], 0.0) << r.dump();
  }
}

}  // namespace
}  // namespace ltsweep::testing
