// Issue 11 (metrics lost across a resume), end to end with real processes:
// an attempt's rows never reach the coordinator (they sat in its worker's
// outbox when the worker died) although its trainer checkpointed those
// epochs; the next attempt resumes from that checkpoint. The trainer
// contract's replay (kFieldReplayed) must leave the trial's merged history
// with every epoch exactly once.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The last epoch the fake trainer checkpointed under `root` (its last_epoch
// marker), or -1 when there is none yet.
int CheckpointedEpoch(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(root, ec)) return -1;
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    if (entry.path().filename() != "last_epoch") continue;
    std::ifstream in(entry.path());
    int epoch = -1;
    if (in >> epoch) return epoch;
  }
  return -1;
}

// The epochs of one attempt's val_error rows.
std::set<int> EpochsOf(const v1::QueryMetricsResponse& m) {
  std::set<int> epochs;
  for (const auto& p : m.points()) {
    if (p.name() == "val_error") epochs.insert(p.epoch());
  }
  return epochs;
}

TEST(ReplayTest, RowsLostWithTheWorkerAreReplayedByTheResumedAttempt) {
  constexpr int kEpochs = 12;
  TempDir dir;
  Cluster cluster(dir);
  // A TTL that outlasts the coordinator's downtime below, so worker A keeps
  // training (and checkpointing) while its reports pile up in its outbox.
  cluster.StartCoordinator("5s");
  const fs::path ckpt = dir.File("checkpoints");
  const std::map<std::string, std::string> env = {{"LTSWEEP_FAKE_EPOCH_MS", "100"}};
  Process& a = cluster.StartWorker(WorkerSpec{"wa", 1, env, {"--checkpoint-root", ckpt.string()}});
  const int64_t sweep = cluster.Submit(fmt::format(
      "name: replay\nconfig:\n  train: {{epochs: {}}}\nseeds: [0]\nmax_attempts: 3\nparameters:\n"
      "  train.lr: {{values: [0.1]}}\n",
      kEpochs));
  int64_t trial = 0;
  ASSERT_TRUE(WaitUntil([&] {
    auto trials = cluster.Trials(sweep);
    if (trials.empty()) return false;
    trial = trials[0].trial_id();
    return !EpochsOf(cluster.Metrics(trial, 1)).empty();
  }, 10s));
  const int delivered = static_cast<int>(EpochsOf(cluster.Metrics(trial, 1)).size());

  // The coordinator goes away; the trainer checkpoints three more epochs whose
  // rows can only wait in worker A's outbox; then worker A dies with it.
  cluster.KillCoordinator();
  ASSERT_TRUE(WaitUntil([&] { return CheckpointedEpoch(ckpt) >= delivered + 3; }, 10s))
      << "checkpointed epoch " << CheckpointedEpoch(ckpt);
  a.Signal(SIGKILL);
  a.Wait(5s);
  const int checkpointed = CheckpointedEpoch(ckpt);
  ASSERT_LT(checkpointed, kEpochs - 1) << "attempt 1 finished before its worker was killed";

  cluster.StartCoordinator("5s");
  cluster.StartWorker(WorkerSpec{"wb", 1, env, {"--checkpoint-root", ckpt.string()}});
  ASSERT_TRUE(cluster.WaitFinished(sweep, 30s)) << cluster.CoordinatorLog();
  auto trials = cluster.Trials(sweep);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state(), "succeeded");
  ASSERT_EQ(trials[0].attempt(), 2);

  // The scenario happened: attempt 1 lacks rows of epochs its checkpoint holds.
  const std::set<int> first = EpochsOf(cluster.Metrics(trial, 1));
  EXPECT_LT(static_cast<int>(first.size()), checkpointed + 1);
  EXPECT_TRUE(first.count(checkpointed) == 0) << "epoch " << checkpointed << " reached the coordinator";

  // The merged history (what `ltsweep results` and the report read): every
  // epoch 0..E-1 exactly once, for every scalar and the per-class rows.
  StoreOptions ro;
  ro.read_only = true;
  auto store = Store::Open(cluster.db_path(), ro);
  ASSERT_OK(store);
  auto history = (*store)->GetTrialHistory(trial);
  ASSERT_OK(history);
  std::vector<int> all(kEpochs);
  for (int e = 0; e < kEpochs; ++e) all[static_cast<size_t>(e)] = e;
  for (const char* name : {"val_error", "train_loss", "val_loss", "lr", "many_shot_error", "samples_per_s"}) {
    auto it = history->metrics.scalars.find(name);
    ASSERT_NE(it, history->metrics.scalars.end()) << name;
    std::vector<int> epochs;
    for (const auto& [epoch, value] : it->second) epochs.push_back(epoch);
    EXPECT_EQ(epochs, all) << name;
  }
  ASSERT_EQ(history->metrics.per_class.count("error"), 1u);
  const auto& per_class = history->metrics.per_class.at("error");
  EXPECT_EQ(per_class.size(), static_cast<size_t>(kEpochs));
  for (const auto& [epoch, values] : per_class) EXPECT_EQ(values.size(), 4u) << "epoch " << epoch;
  // The replay flag is not a metric and is not stored.
  EXPECT_EQ(history->metrics.scalars.count("replayed"), 0u);
  for (const auto& p : history->metrics.payloads) EXPECT_NE(p.kind, "replayed") << "epoch " << p.epoch;
}

}  // namespace
}  // namespace ltsweep::testing
