// Worker parts: backoff schedule, trainer-event mapping, the on-disk outbox,
// and trainer processes (real child processes of the fake trainer).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/test_util.h"
#include "worker/backoff.h"
#include "worker/event_mapper.h"
#include "worker/outbox.h"
#include "worker/output_limits.h"
#include "worker/trainer_process.h"
#include "worker/worker.h"

namespace ltsweep::worker {
namespace {

namespace fs = std::filesystem;
using ::ltsweep::testing::TempDir;
using ::ltsweep::testing::WriteFile;

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

// Issue 11: a replayed epoch event (trainer contract, kFieldReplayed) is stored
// exactly as the original was; the flag is neither a metric row nor a payload.
// Any other boolean field stays a payload, never a row.
TEST(EventMapperTest, AReplayedEpochMapsToTheSameRowsAndPayloadsAsTheOriginal) {
  const std::string fields = R"("epoch":2,"lr":0.1,"val_error":0.25,"per_class_error":[0.1,0.4],"confusion":[[1,2],[3,4]])";
  auto original = MapTrainerLine(R"({"event":"epoch",)" + fields + "}", 1);
  auto replayed = MapTrainerLine(R"({"event":"epoch",)" + fields + R"(,"replayed":true})", 1);
  ASSERT_OK(original);
  ASSERT_OK(replayed);
  EXPECT_EQ(replayed->kind, EventKind::kEpoch);
  EXPECT_EQ(replayed->epoch, 2);
  ASSERT_EQ(replayed->rows.size(), original->rows.size());
  for (size_t i = 0; i < original->rows.size(); ++i) {
    EXPECT_EQ(replayed->rows[i].SerializeAsString(), original->rows[i].SerializeAsString()) << i;
  }
  ASSERT_EQ(replayed->payloads.size(), original->payloads.size());
  for (size_t i = 0; i < original->payloads.size(); ++i) {
    EXPECT_EQ(replayed->payloads[i].SerializeAsString(), original->payloads[i].SerializeAsString()) << i;
  }

  auto flagged = MapTrainerLine(R"({"event":"epoch","epoch":2,"val_error":0.25,"warmup":true})", 1);
  ASSERT_OK(flagged);
  ASSERT_EQ(flagged->rows.size(), 1u);
  EXPECT_EQ(flagged->rows[0].name(), "val_error");
  ASSERT_EQ(flagged->payloads.size(), 1u);
  EXPECT_EQ(flagged->payloads[0].kind(), "warmup");
  EXPECT_EQ(flagged->payloads[0].json(), "true");
}

TEST(EventMapperTest, StartAndDoneArePayloads) {
  auto start = MapTrainerLine(R"({"event":"start","epochs":4})", -1);
  ASSERT_OK(start);
  EXPECT_EQ(start->kind, EventKind::kStart);
  ASSERT_EQ(start->payloads.size(), 1u);
  EXPECT_EQ(start->payloads[0].epoch(), -1);
  EXPECT_EQ(start->payloads[0].kind(), "start");
  EXPECT_TRUE(start->rows.empty());
  ASSERT_TRUE(start->runtime.has_value());  // fields absent: zero values
  EXPECT_EQ(start->runtime->threads(), 0);
  EXPECT_EQ(start->runtime->device(), "");

  auto runtime = MapTrainerLine(
      R"({"event":"start","threads":2,"blas":"OpenBLAS 0.3.21","blas_threads":1,"device":"cpu"})", -1);
  ASSERT_OK(runtime);
  ASSERT_TRUE(runtime->runtime.has_value());
  EXPECT_EQ(runtime->runtime->threads(), 2);
  EXPECT_EQ(runtime->runtime->blas(), "OpenBLAS 0.3.21");
  EXPECT_EQ(runtime->runtime->blas_threads(), 1);
  EXPECT_EQ(runtime->runtime->device(), "cpu");
  auto odd = MapTrainerLine(
      R"({"event":"start","threads":-3,"blas":7,"blas_threads":99999999999,"device":")" + std::string(300, 'x') +
          R"("})",
      -1);
  ASSERT_OK(odd);
  EXPECT_EQ(odd->runtime->threads(), 0);
  EXPECT_EQ(odd->runtime->blas(), "");
  EXPECT_EQ(odd->runtime->blas_threads(), 0);
  EXPECT_EQ(odd->runtime->device().size(), 256u);

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

TEST(EventMapperTest, DeepNestingIsRefusedBeforeParsingAndErrorsQuoteAShortPrefix) {
  const std::string deep = R"({"event":"epoch","epoch":0,"x":)" + std::string(1'000'000, '[') +
                           std::string(1'000'000, ']') + "}";
  auto ev = MapTrainerLine(deep, -1);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.status().message().find("nested deeper than 32 levels"), std::string::npos);
  EXPECT_LT(ev.status().message().size(), 200u);
  // 32 levels are fine.
  const std::string ok = R"({"event":"epoch","epoch":0,"x":)" + std::string(31, '[') + std::string(31, ']') + "}";
  EXPECT_OK(MapTrainerLine(ok, -1));
  auto garbage = MapTrainerLine(std::string(100'000, 'g'), -1);
  ASSERT_FALSE(garbage.ok());
  EXPECT_LT(garbage.status().message().size(), 200u);
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

TEST(OutboxTest, LogsAndCountsWhatItDropsAndWhy) {
  TempDir dir;
  std::vector<std::string> log;
  const size_t one = Batch(1, "t", 0, 50).ByteSizeLong();
  Outbox box(OutboxOptions{dir.File("outbox"), 2 * one + one / 2}, [&log](const std::string& l) { log.push_back(l); });
  ASSERT_OK(box.Load());
  for (int e = 0; e < 3; ++e) ASSERT_OK(box.Push(Batch(1, "t", e, 50)));
  ASSERT_OK(box.Push(Batch(2, "u", 0, 1)));
  box.Drop(2, "u");
  const OutboxDrops drops = box.drops();
  EXPECT_EQ(drops.over_bound, 1u);
  EXPECT_EQ(drops.lease_gone, 1u);
  EXPECT_EQ(drops.unreadable, 0u);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[0].find("dropped the oldest metric batch (trial 1 attempt 0, 50 rows"), std::string::npos) << log[0];
  EXPECT_NE(log[1].find("dropped 1 buffered metric batch(es) of trial 2: lease gone"), std::string::npos) << log[1];

  // A torn file is dropped, logged and counted on load.
  WriteFile(dir.path() / "outbox" / "000000000099.batch", std::string("\xff\xff\xff\xff", 4));
  Outbox again(OutboxOptions{dir.File("outbox"), 1 << 20}, [&log](const std::string& l) { log.push_back(l); });
  ASSERT_OK(again.Load());
  EXPECT_EQ(again.drops().unreadable, 1u);
  EXPECT_NE(log.back().find("unreadable"), std::string::npos) << log.back();
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
  // Epochs 0 and 1 replayed from the checkpoint (issue 11), then epoch 2.
  ASSERT_GE(lines.size(), 4u);
  for (int e = 0; e < 2; ++e) {
    EXPECT_EQ(nlohmann::json::parse(lines[1 + e])["epoch"], e);
    EXPECT_EQ(nlohmann::json::parse(lines[1 + e])["replayed"], true);
  }
  EXPECT_EQ(nlohmann::json::parse(lines[3])["epoch"], 2);
  EXPECT_FALSE(nlohmann::json::parse(lines[3]).contains("replayed"));
}

bool PidAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  const std::string stat = testing::ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

TEST_F(TrainerProcessTest, TheTrainerLeadsItsOwnProcessGroupAndItsGroupIsKilled) {
  SpawnOptions o = Options(1000, 20);
  fs::create_directories(dir_.File("pids"));
  o.env.push_back({"LTSWEEP_FAKE_FORK_CHILD", "1"});
  o.env.push_back({"LTSWEEP_FAKE_PID_DIR", dir_.File("pids")});
  auto p = TrainerProcess::Spawn(o);
  ASSERT_OK(p);
  EXPECT_EQ(getpgid((*p)->pid()), (*p)->pid());
  EXPECT_NE(getpgid((*p)->pid()), getpgrp()) << "a terminal's SIGINT to our group must not reach it";
  bool closed = false;
  while ((*p)->ReadLines(100, &closed).empty() && !closed) {
  }
  pid_t child = -1;
  for (int i = 0; i < 200 && child < 0; ++i) {
    for (const auto& e : fs::directory_iterator(dir_.File("pids"))) {
      const std::string name = e.path().filename().string();
      if (name.rfind("child-", 0) == 0) child = std::stoi(name.substr(6));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(child, 0);
  EXPECT_EQ(getpgid(child), (*p)->pid());
  (*p)->Signal(SIGTERM);  // the trainer exits 4; its child ignores SIGTERM
  contract::TrainerExit exit = (*p)->Wait();  // reaping kills the rest of the group
  EXPECT_EQ(exit.code, 4);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = !PidAlive(child);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "the stubborn child " << child << " survived";
}

TEST_F(TrainerProcessTest, AnOverlongLineIsDroppedWithANoteAndTheNextLinesStillCome) {
  SpawnOptions o = Options(2, 1);
  o.env.push_back({"LTSWEEP_FAKE_FLOOD_BYTES", "5000"});
  o.max_line_bytes = 1000;
  auto p = TrainerProcess::Spawn(o);
  ASSERT_OK(p);
  auto lines = ReadAll(**p);
  EXPECT_EQ((*p)->Wait().code, 0);
  ASSERT_EQ(lines.size(), 4u);  // start, 2 epochs, done: the flood line is gone
  for (const auto& l : lines) EXPECT_EQ(l.rfind("{", 0), 0u) << l.substr(0, 100);
  auto notes = (*p)->TakeNotes();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "dropped a stdout line longer than 1000 bytes: FLOOD" + std::string(75, 'x') + "...");
  EXPECT_TRUE((*p)->TakeNotes().empty());
}

TEST_F(TrainerProcessTest, AnExecFailureIsASpawnError) {
  const std::string script = dir_.File("no-interpreter");
  WriteFile(script, "#!/nonexistent/interpreter\n");
  chmod(script.c_str(), 0755);
  SpawnOptions o = Options(1, 1);
  o.path = script;
  auto p = TrainerProcess::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("cannot execute " + script + ": No such file or directory"), std::string::npos)
      << p.status().message();
}

TEST_F(TrainerProcessTest, TheStderrTailIsValidUtf8FromACharacterBoundary) {
  SpawnOptions o = Options(1, 1);
  o.env.push_back({"LTSWEEP_FAKE_BAD_UTF8_STDERR", "1"});
  o.env.push_back({"LTSWEEP_FAKE_EXIT", "1"});
  o.stderr_tail_bytes = 1001;  // cuts inside some character
  auto p = TrainerProcess::Spawn(o);
  ASSERT_OK(p);
  ReadAll(**p);
  EXPECT_EQ((*p)->Wait().code, 1);
  const std::string tail = (*p)->StderrTail();
  EXPECT_EQ(ToValidUtf8(tail), tail);
  EXPECT_LE(tail.size(), 1001u * 3);
  EXPECT_NE(tail.find("caf\xc3\xa9"), std::string::npos);
}

TEST(FindExecutableTest, FindsOnPathAndRejectsMissing) {
  EXPECT_FALSE(FindExecutable("sh").empty());
  EXPECT_TRUE(FindExecutable("no-such-program-ltsweep").empty());
  EXPECT_EQ(FindExecutable(LTSWEEP_FAKE_TRAIN_PATH), LTSWEEP_FAKE_TRAIN_PATH);
}

}  // namespace
}  // namespace ltsweep::worker
