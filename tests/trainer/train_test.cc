// End-to-end tests of ltsweep-train: the real binary runs as a child process
// (its path comes from the build, LTSWEEP_TRAIN_BINARY) on the synthetic data
// set, on corrupt files and on real Fashion-MNIST when installed.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/test_util.h"

namespace ltsweep::trainer {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;
using ::ltsweep::testing::TempDir;
using ::ltsweep::testing::WriteFile;
using ::ltsweep::testing::ReadFile;

// A running ltsweep-train: stdout through a pipe, stderr into a file.
class Child {
 public:
  // drop_root: when the test runs as root, the child runs as nobody (65534),
  // so that file permissions bind it (root ignores them).
  Child(const std::vector<std::string>& args, const std::string& stderr_path, bool drop_root = false) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(err, 2);
      close(fds[0]);
      close(fds[1]);
      if (drop_root && geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(126);
      std::vector<char*> argv;
      std::string binary = LTSWEEP_TRAIN_BINARY;
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Child() {
    if (out_ != nullptr) fclose(out_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Next stdout line (without newline); false at EOF.
  bool ReadLine(std::string* line) {
    line->clear();
    int c;
    while ((c = fgetc(out_)) != EOF) {
      if (c == '\n') return true;
      line->push_back(static_cast<char>(c));
    }
    return !line->empty();
  }
  void Signal(int sig) { kill(pid_, sig); }
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool reaped_ = false;
};

struct RunResult {
  int exit_code = -1;
  std::vector<Json> events;
  std::string stderr_text;
  std::vector<Json> Of(const std::string& kind) const {
    std::vector<Json> out;
    for (const auto& e : events)
      if (e.value("event", "") == kind) out.push_back(e);
    return out;
  }
};

RunResult RunTrainer(const TempDir& dir, const Json& config, std::vector<std::string> extra = {},
                     const std::string& name = "trial", bool drop_root = false) {
  std::string config_path = dir.File(name + ".json");
  WriteFile(config_path, config.dump());
  std::vector<std::string> args = {"--config", config_path, "--device", "cpu", "--threads", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::string err_path = dir.File(name + ".stderr");
  RunResult r;
  {
    Child child(args, err_path, drop_root);
    std::string line;
    while (child.ReadLine(&line)) {
      Json e = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_FALSE(e.is_discarded()) << "not JSON on stdout: " << line;
      if (!e.is_discarded()) r.events.push_back(e);
    }
    r.exit_code = child.Wait();
  }
  r.stderr_text = ReadFile(err_path);
  return r;
}

// A small synthetic trial: 4 classes, 8x8 images, ResNet-8, a few seconds.
Json SyntheticConfig(int epochs) {
  return Json{{"data",
               {{"dataset", "synthetic"},
                {"imbalance", {{"type", "exp"}, {"ratio", 10}}},
                {"synthetic", {{"num_classes", 4}, {"train_per_class", 120}, {"test_per_class", 40}, {"image_size", 8}}}}},
              {"model", {{"arch", "resnet8"}}},
              {"method", {{"loss", "ldam"}, {"defer", "drw"}, {"drw_epoch", 1}}},
              {"train",
               {{"epochs", epochs},
                {"batch_size", 32},
                {"lr", 0.05},
                {"seed", 3},
                {"lr_schedule", {{"type", "reference"}, {"warmup_epochs", 1}, {"milestones", Json::array({2})}}}}}};
}

// The names of the files in `dir`, sorted.
std::vector<std::string> FileNames(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Expects the epochs of `got` to be those of `want` with the same numbers.
void ExpectSameEpochs(const std::vector<Json>& got, const std::vector<Json>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i]["epoch"], want[i]["epoch"]);
    EXPECT_NEAR(got[i]["val_loss"].get<double>(), want[i]["val_loss"].get<double>(), 1e-6) << i;
    EXPECT_NEAR(got[i]["train_loss"].get<double>(), want[i]["train_loss"].get<double>(), 1e-6) << i;
    EXPECT_EQ(got[i]["val_error"], want[i]["val_error"]) << i;
  }
}

TEST(TrainTest, SyntheticRunEmitsTheEventStream) {
  TempDir dir;
  RunResult r = RunTrainer(dir, SyntheticConfig(2), {"--checkpoint-dir", dir.File("ckpt")});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.front()["event"], "start");
  EXPECT_EQ(r.events.back()["event"], "done");
  const Json& start = r.events.front();
  EXPECT_EQ(start["dataset"], "synthetic");
  EXPECT_EQ(start["num_classes"], 4);
  ASSERT_EQ(start["train_class_counts"].size(), 4u);
  EXPECT_EQ(start["train_class_counts"][0], 120);
  EXPECT_EQ(start["test_size"], 160);
  EXPECT_GT(start["parameters"].get<int64_t>(), 70000);
  EXPECT_EQ(start["device"], "cpu");
  EXPECT_EQ(start["threads"], 1);
  // The runtime fields of the trainer contract: Debian's LibTorch runs on
  // OpenBLAS, which ltsweep-train pins to one thread.
  EXPECT_FALSE(start["blas"].get<std::string>().empty()) << start.dump();
  EXPECT_TRUE(start["blas_threads"].is_number_integer()) << start.dump();
  EXPECT_EQ(start["flip"], false);  // data.flip auto: no flip for the synthetic set
  EXPECT_EQ(start["config_hash"].get<std::string>().size(), 64u);

  auto epochs = r.Of("epoch");
  ASSERT_EQ(epochs.size(), 2u);
  for (int e = 0; e < 2; ++e) {
    const Json& ev = epochs[e];
    EXPECT_EQ(ev["epoch"], e);
    for (const char* key : {"lr", "train_loss", "train_error", "val_loss", "val_error", "many_shot_error",
                            "macro_precision", "macro_recall", "macro_f1", "samples_per_s", "epoch_time_s"}) {
      EXPECT_TRUE(ev.contains(key)) << key;
    }
    EXPECT_EQ(ev["per_class_error"].size(), 4u);
    EXPECT_GE(ev["val_error"].get<double>(), 0.0);
    EXPECT_LE(ev["val_error"].get<double>(), 1.0);
    EXPECT_TRUE(std::isfinite(ev["val_loss"].get<double>()));
  }
  // Warm-up over 1 epoch, then the base lr.
  EXPECT_DOUBLE_EQ(epochs[0]["lr"].get<double>(), 0.05);
  EXPECT_FALSE(epochs[0].contains("confusion"));
  ASSERT_TRUE(epochs[1].contains("confusion"));
  int64_t total = 0;
  for (const auto& row : epochs[1]["confusion"])
    for (const auto& v : row) total += v.get<int64_t>();
  EXPECT_EQ(total, 160);

  auto ckpts = r.Of("checkpoint");
  ASSERT_EQ(ckpts.size(), 2u);
  EXPECT_EQ(ckpts[1]["epoch"], 1);
  EXPECT_TRUE(fs::exists(ckpts[1]["path"].get<std::string>()));
  EXPECT_FALSE(fs::exists(dir.File("ckpt/ckpt.tmp")));
  // The last two checkpoints are kept; no temporary file is left behind.
  EXPECT_EQ(FileNames(dir.path() / "ckpt"), (std::vector<std::string>{"checkpoint.prev.pt", "checkpoint.pt"}));

  const Json& done = r.events.back();
  EXPECT_EQ(done["epochs"], 2);
  double best = done["best_val_error"], last = done["last_val_error"];
  EXPECT_LE(best, last);
  EXPECT_EQ(last, epochs[1]["val_error"].get<double>());
  EXPECT_NE(r.stderr_text.find("epoch 2/2"), std::string::npos) << r.stderr_text;
}

TEST(TrainTest, ResumeReachesTheSameMetricsAsAStraightRun) {
  TempDir dir;
  Json config = SyntheticConfig(3);
  RunResult straight = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("a")}, "straight");
  ASSERT_EQ(straight.exit_code, 0) << straight.stderr_text;
  // Two epochs, then stop as an interruption would; then resume for the third.
  RunResult first = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("b"), "--stop-after", "2"}, "first");
  ASSERT_EQ(first.exit_code, 4) << first.stderr_text;
  RunResult second = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("b"), "--resume"}, "second");
  ASSERT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_EQ(second.events.front()["start_epoch"], 2);

  // The epochs trained in each process (the second also replays 0 and 1 first:
  // ResumeReplaysTheCheckpointedEpochsFirst).
  std::vector<Json> resumed = first.Of("epoch");
  for (const auto& e : second.Of("epoch")) {
    if (!e.value("replayed", false)) resumed.push_back(e);
  }
  auto want = straight.Of("epoch");
  ASSERT_EQ(want.size(), 3u);
  ASSERT_EQ(resumed.size(), 3u);
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(resumed[e]["epoch"], e);
    EXPECT_NEAR(resumed[e]["val_loss"].get<double>(), want[e]["val_loss"].get<double>(), 1e-6) << e;
    EXPECT_NEAR(resumed[e]["train_loss"].get<double>(), want[e]["train_loss"].get<double>(), 1e-6) << e;
    EXPECT_EQ(resumed[e]["val_error"], want[e]["val_error"]) << e;
  }
  EXPECT_EQ(second.events.back()["best_val_error"], straight.events.back()["best_val_error"]);
  EXPECT_EQ(second.events.back()["best_epoch"], straight.events.back()["best_epoch"]);
}

// Issue 11 (metrics lost across a resume): the earlier attempt's rows may have
// been refused with its lease, so a resumed trainer re-emits the epochs its
// checkpoint holds, exactly as first emitted plus "replayed": true, after the
// start event and before anything else.
TEST(TrainTest, ResumeReplaysTheCheckpointedEpochsFirst) {
  TempDir dir;
  Json config = SyntheticConfig(3);
  RunResult first = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("ckpt"), "--stop-after", "2"}, "first");
  ASSERT_EQ(first.exit_code, 4) << first.stderr_text;
  const std::vector<Json> original = first.Of("epoch");
  ASSERT_EQ(original.size(), 2u);
  for (const auto& e : original) EXPECT_FALSE(e.contains("replayed")) << e.dump();

  RunResult second = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("ckpt"), "--resume"}, "second");
  ASSERT_EQ(second.exit_code, 0) << second.stderr_text;
  ASSERT_GE(second.events.size(), 4u);
  EXPECT_EQ(second.events[0]["event"], "start");
  EXPECT_EQ(second.events[0]["start_epoch"], 2);
  for (size_t i = 0; i < original.size(); ++i) {
    Json want = original[i];
    want["replayed"] = true;
    EXPECT_EQ(second.events[1 + i], want) << i;
  }
  const std::vector<Json> epochs = second.Of("epoch");
  ASSERT_EQ(epochs.size(), 3u);
  EXPECT_EQ(epochs[2]["epoch"], 2);
  EXPECT_FALSE(epochs[2].contains("replayed"));

  // Resumed again from the final checkpoint: all three epochs replayed, in order.
  RunResult third = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("ckpt"), "--resume"}, "third");
  ASSERT_EQ(third.exit_code, 0) << third.stderr_text;
  const std::vector<Json> again = third.Of("epoch");
  ASSERT_EQ(again.size(), 3u);
  for (size_t i = 0; i < again.size(); ++i) {
    Json want = i < original.size() ? original[i] : epochs[i];
    want["replayed"] = true;
    EXPECT_EQ(again[i], want) << i;
  }
  EXPECT_EQ(third.events.back()["best_val_error"], second.events.back()["best_val_error"]);
}

// Issue 11: a torn or corrupt checkpoint never turns into a crash loop.
TEST(TrainTest, CorruptCheckpointsFallBackToThePreviousOneOrToEpochZero) {
  TempDir dir;
  Json config = SyntheticConfig(3);
  RunResult straight = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("a")}, "straight");
  ASSERT_EQ(straight.exit_code, 0) << straight.stderr_text;
  // Epochs 0 and 1, then stop: checkpoint.pt holds epoch 1, checkpoint.prev.pt epoch 0.
  RunResult first = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("b"), "--stop-after", "2"}, "first");
  ASSERT_EQ(first.exit_code, 4) << first.stderr_text;
  ASSERT_TRUE(fs::exists(dir.File("b/checkpoint.prev.pt")));
  fs::copy(dir.File("b"), dir.File("c"));

  // The newest torn in half (a crash while the file system lost the tail).
  fs::resize_file(dir.File("b/checkpoint.pt"), fs::file_size(dir.File("b/checkpoint.pt")) / 2);
  RunResult torn = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("b"), "--resume"}, "torn");
  ASSERT_EQ(torn.exit_code, 0) << torn.stderr_text;
  EXPECT_EQ(torn.events.front()["start_epoch"], 1);
  EXPECT_NE(torn.stderr_text.find("checkpoint.pt"), std::string::npos) << torn.stderr_text;
  const std::vector<Json> want = straight.Of("epoch");
  // Epoch 0 replayed from checkpoint.prev.pt, then 1 and 2 trained again.
  ExpectSameEpochs(torn.Of("epoch"), want);
  EXPECT_EQ(torn.Of("epoch")[0]["replayed"], true);
  EXPECT_EQ(torn.events.back()["best_val_error"], straight.events.back()["best_val_error"]);
  EXPECT_EQ(torn.events.back()["best_epoch"], straight.events.back()["best_epoch"]);

  // Both unusable: garbage in the newest, one flipped byte in the previous.
  WriteFile(dir.File("c/checkpoint.pt"), std::string(5000, 'x'));
  std::string prev = ReadFile(dir.File("c/checkpoint.prev.pt"));
  prev[prev.size() / 2] = static_cast<char>(prev[prev.size() / 2] ^ 0x5a);
  WriteFile(dir.File("c/checkpoint.prev.pt"), prev);
  RunResult both = RunTrainer(dir, config, {"--checkpoint-dir", dir.File("c"), "--resume"}, "both");
  ASSERT_EQ(both.exit_code, 0) << both.stderr_text;
  EXPECT_EQ(both.events.front()["start_epoch"], 0);
  EXPECT_NE(both.stderr_text.find("checkpoint.prev.pt"), std::string::npos) << both.stderr_text;
  EXPECT_NE(both.stderr_text.find("epoch 0"), std::string::npos) << both.stderr_text;
  ExpectSameEpochs(both.Of("epoch"), want);
  EXPECT_EQ(both.events.back()["best_val_error"], straight.events.back()["best_val_error"]);
}

TEST(TrainTest, GarbageCheckpointStartsFromEpochZero) {
  TempDir dir;
  WriteFile(dir.File("ckpt/checkpoint.pt"), "PK\x03\x04 this is not a checkpoint");
  RunResult r = RunTrainer(dir, SyntheticConfig(2), {"--checkpoint-dir", dir.File("ckpt"), "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.events.front()["start_epoch"], 0);
  EXPECT_EQ(r.Of("epoch").size(), 2u);
  EXPECT_NE(r.stderr_text.find("checkpoint.pt"), std::string::npos) << r.stderr_text;
}

// Issue 11: "this machine cannot run it" is exit 5, distinct from unusable data (3).
TEST(TrainTest, MissingDataOnThisNodeExits5) {
  TempDir dir;
  Json config = {{"data", {{"dataset", "fashion_mnist"}, {"root", dir.File("not-mounted")}}},
                 {"model", {{"arch", "resnet8"}}},
                 {"train", {{"epochs", 1}}}};
  RunResult r = RunTrainer(dir, config, {}, "fmnist");
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("not-mounted"), std::string::npos) << r.stderr_text;
  EXPECT_TRUE(r.Of("epoch").empty());

  config = {{"data", {{"dataset", "imdb"}, {"root", dir.File("not-mounted")}, {"cache_dir", dir.File("cache")}}},
            {"model", {{"arch", "logreg"}}}};
  r = RunTrainer(dir, config, {}, "imdb");
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("not-mounted"), std::string::npos) << r.stderr_text;
}

TEST(TrainTest, CudaDeviceThatIsNotHereExits5) {
  TempDir dir;
  RunResult r = RunTrainer(dir, SyntheticConfig(2), {"--device", "cuda:999"});
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("cuda:999"), std::string::npos) << r.stderr_text;
  EXPECT_TRUE(r.events.empty());
  // A malformed device is still an invalid config.
  r = RunTrainer(dir, SyntheticConfig(2), {"--device", "tpu"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("--device tpu"), std::string::npos) << r.stderr_text;
}

TEST(TrainTest, UnwritableCheckpointDirExits5BeforeTraining) {
  TempDir dir;
  // The child runs as nobody when the test runs as root: let it read the config.
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  fs::create_directories(dir.path() / "ro");
  fs::permissions(dir.path() / "ro", fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  RunResult r = RunTrainer(dir, SyntheticConfig(2), {"--checkpoint-dir", dir.File("ro/ckpt")}, "trial",
                           /*drop_root=*/true);
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("ro/ckpt"), std::string::npos) << r.stderr_text;
  EXPECT_TRUE(r.Of("epoch").empty());
  fs::permissions(dir.path() / "ro", fs::perms::owner_all);
}

TEST(TrainTest, SigtermWritesACheckpointAndExits4) {
  TempDir dir;
  Json config = SyntheticConfig(200);
  config["method"]["drw_epoch"] = 100;
  WriteFile(dir.File("trial.json"), config.dump());
  std::vector<std::string> args = {"--config",         dir.File("trial.json"), "--device", "cpu", "--threads", "1",
                                   "--checkpoint-dir", dir.File("ckpt")};
  int code;
  std::vector<Json> events;
  {
    Child child(args, dir.File("err"));
    std::string line;
    bool signalled = false;
    while (child.ReadLine(&line)) {
      events.push_back(Json::parse(line));
      if (!signalled && events.back()["event"] == "epoch") {
        child.Signal(SIGTERM);
        signalled = true;
      }
    }
    code = child.Wait();
  }
  ASSERT_EQ(code, 4) << ReadFile(dir.File("err"));
  ASSERT_FALSE(events.empty());
  const Json& last = events.back();
  EXPECT_EQ(last["event"], "checkpoint");
  EXPECT_EQ(last["interrupted"], true);
  EXPECT_GE(last["epoch"].get<int>(), 0);
  EXPECT_TRUE(fs::exists(dir.File("ckpt/checkpoint.pt")));
  EXPECT_EQ(events.back()["epoch"].get<int>() + 1, static_cast<int>(std::count_if(events.begin(), events.end(), [](const Json& e) { return e["event"] == "epoch"; })));
  // Resuming starts right after the checkpointed epoch.
  RunResult resumed =
      RunTrainer(dir, config, {"--checkpoint-dir", dir.File("ckpt"), "--resume", "--stop-after", "1"}, "resumed");
  EXPECT_EQ(resumed.exit_code, 4) << resumed.stderr_text;
  ASSERT_FALSE(resumed.events.empty());
  EXPECT_EQ(resumed.events.front()["start_epoch"].get<int>(), last["epoch"].get<int>() + 1);
}

TEST(TrainTest, RangeTestWithSmoteAndDeferredResampling) {
  TempDir dir;
  Json config = SyntheticConfig(2);
  config["method"] = {{"loss", "ce"}, {"oversample", "smote"}, {"resample", "cb"}, {"defer", "drs"}, {"drw_epoch", 1}};
  config["train"]["lr_schedule"] = {{"type", "range_test"}, {"min_lr", 0.001}, {"max_lr", 1.0}};
  RunResult r = RunTrainer(dir, config);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const Json& start = r.events.front();
  // SMOTE fills every class up to the head class (imblearn's "not majority").
  EXPECT_EQ(start["oversampled_class_counts"], Json::array({120, 120, 120, 120}));
  EXPECT_EQ(start["train_class_counts"], Json::array({120, 55, 25, 12}));
  auto steps = r.Of("range_test");
  ASSERT_EQ(steps.size(), 2u * 15u);  // 480 images, batches of 32, 2 epochs
  EXPECT_DOUBLE_EQ(steps.front()["lr"].get<double>(), 0.001);
  EXPECT_DOUBLE_EQ(steps.back()["lr"].get<double>(), 1.0);
  for (size_t i = 1; i < steps.size(); ++i) EXPECT_GT(steps[i]["lr"].get<double>(), steps[i - 1]["lr"].get<double>());
  const Json& done = r.events.back();
  ASSERT_TRUE(done.contains("suggested_min_lr"));
  EXPECT_LT(done["suggested_min_lr"].get<double>(), done["suggested_max_lr"].get<double>());
  EXPECT_GE(done["suggested_min_lr"].get<double>(), 0.001);
  EXPECT_LE(done["suggested_max_lr"].get<double>(), 1.0);
  // The per-step curve rides in the done event, step for step (under 1000 points: all of them).
  ASSERT_TRUE(done.contains("range_test_curve"));
  const Json& curve = done["range_test_curve"];
  ASSERT_EQ(curve.size(), steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_DOUBLE_EQ(curve[i][0].get<double>(), steps[i]["lr"].get<double>());
    EXPECT_EQ(curve[i][1], steps[i]["loss"]);
    EXPECT_DOUBLE_EQ(curve[i][2].get<double>(), steps[i]["accuracy"].get<double>());
  }
}

TEST(TrainTest, InvalidConfigExits2NamingTheKey) {
  TempDir dir;
  Json config = SyntheticConfig(1);
  config["method"]["loss"] = "hinge";
  RunResult r = RunTrainer(dir, config);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("method.loss"), std::string::npos) << r.stderr_text;
  EXPECT_TRUE(r.events.empty());

  config = SyntheticConfig(1);
  config["train"]["lr_shedule"] = Json{{"type", "step"}};
  r = RunTrainer(dir, config);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("lr_shedule"), std::string::npos) << r.stderr_text;

  config = SyntheticConfig(1);
  config["data"]["dataset"] = "imdb";
  config["model"]["arch"] = "logreg";
  WriteFile(dir.File("bad.json"), "{\"train\": ");
  Child child({"--config", dir.File("bad.json")}, dir.File("bad.err"));
  EXPECT_EQ(child.Wait(), 2);
  EXPECT_NE(ReadFile(dir.File("bad.err")).find("bad.json"), std::string::npos);
}

TEST(TrainTest, CorruptDataFileExits3NamingTheFile) {
  TempDir dir;
  // Fashion-MNIST files with a wrong magic number and a truncated body.
  std::string junk(100, '\x07');
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"}) {
    WriteFile(dir.path() / "fmnist" / name, junk);
  }
  Json config = {{"data", {{"dataset", "fashion_mnist"}, {"root", (dir.path() / "fmnist").string()}}},
                 {"model", {{"arch", "resnet8"}}},
                 {"train", {{"epochs", 1}}}};
  RunResult r = RunTrainer(dir, config);
  EXPECT_EQ(r.exit_code, 3) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("-ubyte"), std::string::npos) << r.stderr_text;
}

TEST(TrainTest, FashionMnistLongTailLearnsInTwoEpochs) {
  const fs::path root = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(root)) GTEST_SKIP() << root << " is absent (Debian package dataset-fashion-mnist)";
  TempDir dir;
  Json config = {{"data",
                  {{"dataset", "fashion_mnist"},
                   {"imbalance", {{"type", "exp"}, {"ratio", 100}}},
                   {"limit_train", 3000},
                   {"limit_test", 1000}}},
                 {"model", {{"arch", "resnet8"}}},
                 {"train",
                  {{"epochs", 2}, {"batch_size", 128}, {"lr", 0.1}, {"seed", 1}, {"lr_schedule", {{"type", "constant"}}}}}};
  std::string config_path = dir.File("fmnist.json");
  WriteFile(config_path, config.dump());
  Child child({"--config", config_path, "--device", "cpu", "--threads", "2"}, dir.File("err"));
  std::vector<Json> events;
  std::string line;
  while (child.ReadLine(&line)) events.push_back(Json::parse(line));
  ASSERT_EQ(child.Wait(), 0) << ReadFile(dir.File("err"));
  ASSERT_FALSE(events.empty());
  const Json& done = events.back();
  ASSERT_EQ(done["event"], "done");
  // Chance is 90% error on the balanced test set.
  EXPECT_LT(done["last_val_error"].get<double>(), 0.75) << done.dump();
  EXPECT_EQ(events.front()["train_class_counts"][0].get<int>() > events.front()["train_class_counts"][9].get<int>(),
            true);
}

}  // namespace
}  // namespace ltsweep::trainer
