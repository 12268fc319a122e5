// Worker parts: backoff schedule, trainer-event mapping, the on-disk outbox,
// and trainer processes (real child processes of the fake trainer).
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/test_util.h"
#include "worker/backoff.h"
#include "worker/event_mapper.h"
#include "worker/outbox.h"
#include "worker/trainer_process.h"
#include "worker/worker.h"

namespace ltsweep::worker {
namespace {

using ::ltsweep::testing::TempDir;

TEST(BackoffTest, GrowsExponentiallyUpToTheCapWithinJitter) {
  Backoff b(BackoffOptions{100, 1000, 2.0, 0.2}, /*seed=*/7);
  const double bases[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (double base : bases) {
    int64_t d = b.NextDelayMs();
    EXPECT_GE(d, static_cast<int64_t>(base * 0.8) - 1);
    EXPECT_LE(d, static_cast<int64_t>(base * 1.2) + 1);
  }
  b.Reset();
  int64_t d = b.NextDelayMs();
  EXPECT_GE(d, 79);
  EXPECT_LE(d, 121);
}

TEST(BackoffTest, SameSeedSameDelaysAndJitterVaries) {
  Backoff a(BackoffOptions{}, 42), b(BackoffOptions{}, 42), c(BackoffOptions{}, 43);
  std::vector<int64_t> da, db, dc;
  for (int i = 0; i < 6; ++i) {
    da.push_back(a.NextDelayMs());
    db.push_back(b.NextDelayMs());
    dc.push_back(c.NextDelayMs());
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(EventMapperTest, EpochEventBecomesScalarsPerClassRowsAndPayloads) {
  auto ev = MapTrainerLine(
      R"({"event":"epoch","epoch":3,"lr":0.1,"val_error":0.25,"per_class_error":[0.1,0.4],"confusion":[[1,2],[3,4]],"note":"x","flag":null})",
      2);
  ASSERT_OK(ev);
  EXPECT_EQ(ev->kind, EventKind::kEpoch);
  EXPECT_EQ(ev->epoch, 3);
  std::map<std::string, double> scalars;
  std::map<int, double> per_class;
  for (const auto& r : ev->rows) {
    EXPECT_EQ(r.epoch(), 3);
    if (r.class_index() < 0) {
      scalars[r.name()] = r.value();
    } else {
      EXPECT_EQ(r.name(), "error");
      per_class[r.class_index()] = r.value();
    }
  }
  EXPECT_EQ(scalars, (std::map<std::string, double>{{"lr", 0.1}, {"val_error", 0.25}}));
  EXPECT_EQ(per_class, (std::map<int, double>{{0, 0.1}, {1, 0.4}}));
  ASSERT_EQ(ev->payloads.size(), 2u);
  std::map<std::string, std::string> payloads;
  for (const auto& p : ev->payloads) {
    EXPECT_EQ(p.epoch(), 3);
    payloads[p.kind()] = p.json();
  }
  EXPECT_EQ(payloads["confusion"], "[[1,2],[3,4]]");
  EXPECT_EQ(payloads["note"], "\"x\"");
}

TEST(EventMapperTest, StartAndDoneArePayloads) {
  auto start = MapTrainerLine(R"({"event":"start","epochs":4})", -1);
  ASSERT_OK(start);
  EXPECT_EQ(start->kind, EventKind::kStart);
  ASSERT_EQ(start->payloads.size(), 1u);
  EXPECT_EQ(start->payloads[0].epoch(), -1);
  EXPECT_EQ(start->payloads[0].kind(), "start");
  EXPECT_TRUE(start->rows.empty());

  auto done = MapTrainerLine(R"({"event":"done","best_val_error":0.2})", 7);
  ASSERT_OK(done);
  EXPECT_EQ(done->kind, EventKind::kDone);
  ASSERT_EQ(done->payloads.size(), 1u);
  EXPECT_EQ(done->payloads[0].epoch(), 7);
  EXPECT_EQ(nlohmann::json::parse(done->payloads[0].json())["best_val_error"], 0.2);

  auto ckpt = MapTrainerLine(R"({"event":"checkpoint","epoch":1})", 1);
  ASSERT_OK(ckpt);
  EXPECT_EQ(ckpt->kind, EventKind::kCheckpoint);
  EXPECT_TRUE(ckpt->rows.empty() && ckpt->payloads.empty());
}

TEST(EventMapperTest, BadLinesAreErrors) {
  EXPECT_EQ(MapTrainerLine("loading data...", -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MapTrainerLine(R"({"epoch":1})", -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MapTrainerLine(R"({"event":"epoch","epoch":-2})", -1).status().code(), StatusCode::kInvalidArgument);
}

v1::ReportMetricsRequest Batch(int64_t trial, const std::string& token, int epoch, int rows) {
  v1::ReportMetricsRequest b;
  b.mutable_lease()->set_trial_id(trial);
  b.mutable_lease()->set_token(token);
  for (int i = 0; i < rows; ++i) {
    auto* r = b.add_rows();
    r->set_epoch(epoch);
    r->set_name("m" + std::to_string(i));
    r->set_value(i);
    r->set_class_index(-1);
  }
  return b;
}

TEST(OutboxTest, KeepsOrderPerLeaseAndSurvivesARestart) {
  TempDir dir;
  {
    Outbox box(OutboxOptions{dir.File("outbox"), 1 << 20});
    ASSERT_OK(box.Load());
    ASSERT_OK(box.Push(Batch(1, "a", 0, 2)));
    ASSERT_OK(box.Push(Batch(2, "b", 0, 1)));
    ASSERT_OK(box.Push(Batch(1, "a", 1, 2)));
    ASSERT_EQ(box.Front(1, "a")->rows(0).epoch(), 0);
    box.Pop(1, "a");
    ASSERT_EQ(box.Front(1, "a")->rows(0).epoch(), 1);
    EXPECT_TRUE(box.Empty(1, "other-token"));
  }
  // A new process finds what was left.
  Outbox again(OutboxOptions{dir.File("outbox"), 1 << 20});
  ASSERT_OK(again.Load());
  EXPECT_EQ(again.Leases().size(), 2u);
  ASSERT_TRUE(again.Front(1, "a").has_value());
  EXPECT_EQ(again.Front(1, "a")->rows(0).epoch(), 1);
  again.Drop(1, "a");
  EXPECT_TRUE(again.Empty(1, "a"));
  EXPECT_FALSE(again.Empty(2, "b"));
  again.Pop(2, "b");
  EXPECT_EQ(again.bytes(), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir.File("outbox")));
}

TEST(OutboxTest, DropsTheOldestBatchesPastTheBound) {
  TempDir dir;
  const size_t one = Batch(1, "t", 0, 50).ByteSizeLong();
  Outbox box(OutboxOptions{dir.File("outbox"), 3 * one + one / 2});
  ASSERT_OK(box.Load());
  for (int e = 0; e < 6; ++e) ASSERT_OK(box.Push(Batch(1, "t", e, 50)));
  EXPECT_EQ(box.dropped_batches(), 3u);
  EXPECT_LE(box.bytes(), 3 * one + one / 2);
  EXPECT_EQ(box.Front(1, "t")->rows(0).epoch(), 3);  // epochs 0-2 dropped
}

TEST(WorkerOptionsTest, ParsesGpuLists) {
  auto g = ParseGpuList("0,1,3");
  ASSERT_OK(g);
  EXPECT_EQ(*g, (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(ParseGpuList("0,x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseGpuList("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseGpuList("1,-2").status().code(), StatusCode::kInvalidArgument);
}

class TrainerProcessTest : public ::testing::Test {
 protected:
  SpawnOptions Options(int epochs, int epoch_ms) {
    nlohmann::json config = {{"train", {{"epochs", epochs}, {"seed", 3}, {"lr", 0.1}}}};
    std::ofstream(dir_.File("config.json")) << config.dump();
    SpawnOptions o;
    o.path = LTSWEEP_FAKE_TRAIN_PATH;
    o.args = {"--config", dir_.File("config.json"), "--threads", "3"};
    o.env = {{"LTSWEEP_FAKE_EPOCH_MS", std::to_string(epoch_ms)}, {"CUDA_VISIBLE_DEVICES", "5"}};
    o.stderr_log_path = dir_.File("stderr.log");
    return o;
  }
  std::vector<std::string> ReadAll(TrainerProcess& p) {
    std::vector<std::string> lines;
    bool closed = false;
    while (!closed) {
      for (auto& l : p.ReadLines(100, &closed)) lines.push_back(l);
    }
    return lines;
  }
  TempDir dir_;
};

TEST_F(TrainerProcessTest, RunsToTheEndAndPassesEnvironmentAndArguments) {
  auto p = TrainerProcess::Spawn(Options(3, 1));
  ASSERT_OK(p);
  auto lines = ReadAll(**p);
  contract::TrainerExit exit = (*p)->Wait();
  EXPECT_FALSE(exit.signaled);
  EXPECT_EQ(exit.code, 0);
  ASSERT_EQ(lines.size(), 5u);  // start, 3 epochs, done
  auto start = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(start["threads"], 3);
  EXPECT_EQ(start["cuda_visible_devices"], "5");
  EXPECT_EQ(nlohmann::json::parse(lines[4])["event"], "done");
}

TEST_F(TrainerProcessTest, ExitTwoKeepsTheTrainersMessage) {
  SpawnOptions o = Options(3, 1);
  o.env.push_back({"LTSWEEP_FAKE_EXIT", "2"});
  auto p = TrainerProcess::Spawn(o);
  ASSERT_OK(p);
  ReadAll(**p);
  contract::TrainerExit exit = (*p)->Wait();
  EXPECT_EQ(exit.code, 2);
  EXPECT_NE((*p)->StderrTail().find("invalid config: train.seed 3"), std::string::npos) << (*p)->StderrTail();
  EXPECT_NE(testing::ReadFile(dir_.File("stderr.log")).find("invalid config"), std::string::npos);
}

TEST_F(TrainerProcessTest, SigtermInterruptsAndSigkillEndsAnIgnoringTrainer) {
  {
    auto p = TrainerProcess::Spawn(Options(1000, 20));
    ASSERT_OK(p);
    bool closed = false;
    while ((*p)->ReadLines(100, &closed).empty() && !closed) {
    }
    (*p)->Signal(SIGTERM);
    ReadAll(**p);
    contract::TrainerExit exit = (*p)->Wait();
    EXPECT_FALSE(exit.signaled);
    EXPECT_EQ(exit.code, 4);
  }
  {
    SpawnOptions o = Options(1000, 20);
    o.env.push_back({"LTSWEEP_FAKE_IGNORE_TERM", "1"});
    auto p = TrainerProcess::Spawn(o);
    ASSERT_OK(p);
    bool closed = false;
    while ((*p)->ReadLines(100, &closed).empty() && !closed) {
    }
    (*p)->Signal(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE((*p)->TryWait().has_value());  // still running: it ignores SIGTERM
    (*p)->Signal(SIGKILL);
    contract::TrainerExit exit = (*p)->Wait();
    EXPECT_TRUE(exit.signaled);
    EXPECT_EQ(exit.signal, SIGKILL);
  }
}

TEST_F(TrainerProcessTest, ResumesFromItsCheckpoint) {
  SpawnOptions o = Options(4, 1);
  o.args.insert(o.args.end(), {"--checkpoint-dir", dir_.path().string(), "--resume"});
  testing::WriteFile(dir_.path() / "last_epoch", "1\n");
  auto p = TrainerProcess::Spawn(o);
  ASSERT_OK(p);
  auto lines = ReadAll(**p);
  EXPECT_EQ((*p)->Wait().code, 0);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["first_epoch"], 2);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["epoch"], 2);
}

TEST(FindExecutableTest, FindsOnPathAndRejectsMissing) {
  EXPECT_FALSE(FindExecutable("sh").empty());
  EXPECT_TRUE(FindExecutable("no-such-program-ltsweep").empty());
  EXPECT_EQ(FindExecutable(LTSWEEP_FAKE_TRAIN_PATH), LTSWEEP_FAKE_TRAIN_PATH);
}

}  // namespace
}  // namespace ltsweep::worker
