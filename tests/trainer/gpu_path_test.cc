// The GPU path's options end to end, through the real ltsweep-train binary on
// $LTSWEEP_TEST_DEVICE (default cpu, so CI covers the logic):
// train.data_on_device (the device-resident data path reaches the host path's
// numbers: exactly on CPU), train.precision bf16 (autocast is really on and
// the loss stays finite), train.channels_last (trains and resumes), and the
// image-only keys refused for the text track.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/test_util.h"
#include "tests/trainer/test_device.h"

namespace ltsweep::trainer {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;
using ::ltsweep::testing::ReadFile;
using ::ltsweep::testing::TempDir;
using ::ltsweep::testing::TestDevice;
using ::ltsweep::testing::WriteFile;

bool OnCpu() { return TestDevice() == "cpu"; }

struct TrainerRun {
  int exit_code = -1;
  std::vector<Json> events;
  std::string err;
  std::vector<Json> Of(const std::string& kind) const {
    std::vector<Json> out;
    for (const auto& e : events)
      if (e.value("event", "") == kind) out.push_back(e);
    return out;
  }
  const Json& Start() const { return events.at(0); }
};

TrainerRun RunTrainer(const TempDir& dir, const std::string& name, const Json& config, const std::string& extra = "") {
  const std::string config_path = dir.File(name + ".json");
  WriteFile(config_path, config.dump());
  const std::string out = dir.File(name + ".out"), err = dir.File(name + ".err");
  const std::string command = std::string(LTSWEEP_TRAIN_BINARY) + " --config '" + config_path + "' --device " +
                              TestDevice() + " --threads 1 " + extra + " > '" + out + "' 2> '" + err + "'";
  const int status = std::system(command.c_str());
  TrainerRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream lines(ReadFile(out));
  for (std::string line; std::getline(lines, line);) r.events.push_back(Json::parse(line));
  r.err = ReadFile(err);
  return r;
}

// 4 classes of 3 x 12 x 12 synthetic images, ResNet-8, LDAM-DRW.
Json SyntheticConfig(int epochs) {
  return Json{{"data",
               {{"dataset", "synthetic"},
                {"imbalance", {{"type", "exp"}, {"ratio", 10}}},
                {"synthetic", {{"num_classes", 4}, {"train_per_class", 100}, {"test_per_class", 30}, {"image_size", 12}}}}},
              {"model", {{"arch", "resnet8"}}},
              {"method", {{"loss", "ldam"}, {"defer", "drw"}, {"drw_epoch", 1}}},
              {"train", {{"epochs", epochs}, {"batch_size", 32}, {"lr", 0.05}, {"seed", 5}}}};
}

// The per-epoch numbers of two runs agree: exactly on CPU (same batches, same
// kernels), within `tolerance` on a GPU (non-deterministic reductions).
void ExpectSameNumbers(const TrainerRun& a, const TrainerRun& b, double tolerance) {
  const auto ea = a.Of("epoch"), eb = b.Of("epoch");
  ASSERT_EQ(ea.size(), eb.size());
  ASSERT_FALSE(ea.empty());
  for (size_t i = 0; i < ea.size(); ++i) {
    for (const char* key : {"train_loss", "train_error", "val_loss", "val_error"}) {
      if (tolerance == 0) {
        EXPECT_EQ(ea[i][key], eb[i][key]) << key << " of epoch " << i;
      } else {
        EXPECT_NEAR(ea[i][key].get<double>(), eb[i][key].get<double>(), tolerance) << key << " of epoch " << i;
      }
    }
  }
}

TEST(GpuPathTest, DeviceDataPathReachesTheHostPathsNumbers) {
  TempDir dir;
  Json config = SyntheticConfig(3);
  config["train"]["data_on_device"] = "false";
  TrainerRun host = RunTrainer(dir, "host", config);
  config["train"]["data_on_device"] = "true";
  TrainerRun device = RunTrainer(dir, "device", config);
  ASSERT_EQ(host.exit_code, 0) << host.err;
  ASSERT_EQ(device.exit_code, 0) << device.err;
  EXPECT_EQ(host.Start()["data_on_device"], false);
  EXPECT_EQ(device.Start()["data_on_device"], true);
  ExpectSameNumbers(host, device, OnCpu() ? 0.0 : 1e-3);
}

TEST(GpuPathTest, RealFashionMnistOnTheDeviceMatchesTheHost) {
  const fs::path root = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(root)) GTEST_SKIP() << root << " is absent (Debian package dataset-fashion-mnist)";
  TempDir dir;
  Json config = {{"data", {{"dataset", "fashion_mnist"}, {"limit_train", 600}, {"limit_test", 500}}},
                 {"model", {{"arch", "resnet8"}}},
                 {"train", {{"epochs", 1}, {"batch_size", 64}, {"seed", 2}, {"data_on_device", "false"}}}};
  TrainerRun host = RunTrainer(dir, "host", config);
  if (host.exit_code == 5) GTEST_SKIP() << host.err;  // a trainer-only build without zlib
  config["train"]["data_on_device"] = "true";
  TrainerRun device = RunTrainer(dir, "device", config);
  ASSERT_EQ(host.exit_code, 0) << host.err;
  ASSERT_EQ(device.exit_code, 0) << device.err;
  ExpectSameNumbers(host, device, OnCpu() ? 0.0 : 1e-3);
}

TEST(GpuPathTest, AutoPutsTheDataOnTheDeviceOnlyOnCuda) {
  TempDir dir;
  TrainerRun r = RunTrainer(dir, "auto", SyntheticConfig(2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Start()["data_on_device"], !OnCpu());
  EXPECT_EQ(r.Start()["precision"], "fp32");
  EXPECT_EQ(r.Start()["channels_last"], false);
}

TEST(GpuPathTest, Bf16AutocastRunsWithAFiniteLoss) {
  TempDir dir;
  Json config = SyntheticConfig(2);
  TrainerRun fp32 = RunTrainer(dir, "fp32", config);
  config["train"]["precision"] = "bf16";
  TrainerRun bf16 = RunTrainer(dir, "bf16", config);
  ASSERT_EQ(fp32.exit_code, 0) << fp32.err;
  ASSERT_EQ(bf16.exit_code, 0) << bf16.err;
  EXPECT_EQ(bf16.Start()["precision"], "bf16");
  const auto a = fp32.Of("epoch"), b = bf16.Of("epoch");
  ASSERT_EQ(b.size(), 2u);
  for (const auto& e : b) {
    ASSERT_TRUE(e["train_loss"].is_number()) << e.dump();
    EXPECT_TRUE(std::isfinite(e["train_loss"].get<double>()));
    EXPECT_TRUE(std::isfinite(e["val_loss"].get<double>()));
  }
  // Autocast really changed the arithmetic (bf16 has 8 bits of mantissa), but
  // not the training: the first epoch's loss stays close.
  EXPECT_NE(a[0]["train_loss"], b[0]["train_loss"]);
  EXPECT_NEAR(a[0]["train_loss"].get<double>(), b[0]["train_loss"].get<double>(),
              0.1 * std::abs(a[0]["train_loss"].get<double>()));
}

TEST(GpuPathTest, ChannelsLastTrainsAndResumes) {
  TempDir dir;
  Json config = SyntheticConfig(3);
  TrainerRun nchw = RunTrainer(dir, "nchw", config);
  config["train"]["channels_last"] = true;
  config["train"]["data_on_device"] = "true";
  TrainerRun straight = RunTrainer(dir, "straight", config, "--checkpoint-dir '" + dir.File("a") + "'");
  TrainerRun first = RunTrainer(dir, "first", config, "--checkpoint-dir '" + dir.File("b") + "' --stop-after 2");
  TrainerRun second = RunTrainer(dir, "second", config, "--checkpoint-dir '" + dir.File("b") + "' --resume");
  ASSERT_EQ(nchw.exit_code, 0) << nchw.err;
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  ASSERT_EQ(first.exit_code, 4) << first.err;
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(straight.Start()["channels_last"], true);
  // Another memory layout: the same model up to the order of float sums.
  EXPECT_NEAR(nchw.Of("epoch")[0]["train_loss"].get<double>(), straight.Of("epoch")[0]["train_loss"].get<double>(),
              1e-3);
  const auto want = straight.Of("epoch");
  const auto got = second.Of("epoch");
  ASSERT_EQ(got.size(), 3u);  // two replayed, one trained
  EXPECT_NEAR(got[2]["val_loss"].get<double>(), want[2]["val_loss"].get<double>(), OnCpu() ? 1e-6 : 1e-3);
  EXPECT_NEAR(got[2]["train_loss"].get<double>(), want[2]["train_loss"].get<double>(), OnCpu() ? 1e-6 : 1e-3);
}

TEST(GpuPathTest, ImageOnlyKeysAreRefusedForTheTextTrack) {
  TempDir dir;
  for (const auto& [key, value] : std::vector<std::pair<std::string, Json>>{
           {"precision", "bf16"}, {"channels_last", true}, {"data_on_device", "true"}}) {
    Json config = {{"data", {{"dataset", "imdb"}}}, {"model", {{"arch", "logreg"}}}, {"train", {{key, value}}}};
    TrainerRun r = RunTrainer(dir, key, config);
    EXPECT_EQ(r.exit_code, 2) << key;
    EXPECT_NE(r.err.find("train." + key + ": applies to the image track only"), std::string::npos) << r.err;
  }
  Json config = SyntheticConfig(1);
  config["train"]["precision"] = "fp16";
  TrainerRun r = RunTrainer(dir, "fp16", config);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("train.precision"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ltsweep::trainer
