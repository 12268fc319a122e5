// Scheduling that knows devices (issue 14) through the `ltsweep` binary:
// `ltsweep run` picks its CPU slots itself and says so, refuses a GPU spec on
// a machine without GPUs, and `ltsweep status` says why a sweep waits.
#include <sched.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/cli/cli_process.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

using namespace std::chrono_literals;

int64_t QueryOne(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t value = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

int Cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? std::max(1, CPU_COUNT(&set)) : 1;
}

// `n` fake trials asking for `gpus` GPUs each.
std::string DeviceSpec(const TempDir& dir, const std::string& name, int gpus, int n) {
  std::string lrs;
  for (int i = 0; i < n; ++i) lrs += (lrs.empty() ? "" : ", ") + std::to_string(0.1 + 0.01 * i);
  const std::string path = dir.File(name + ".yaml");
  WriteFile(path, "name: " + name + "\nresources: {gpus: " + std::to_string(gpus) +
                      "}\nconfig:\n  data: {dataset: synthetic}\n  train: {epochs: 1}\nparameters:\n"
                      "  train.lr: {values: [" + lrs + "]}\n");
  return path;
}

class DeviceCliTest : public ::testing::Test {
 protected:
  CliResult Run(const std::string& args) {
    return RunCli(LTSWEEP_CLI_PATH, args, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}}, dir_.path().string());
  }
  std::string Local() const {
    return " --trainer " + ShellQuote(LTSWEEP_FAKE_TRAIN_PATH) + " --db " + ShellQuote(db_) + " --work-dir " +
           ShellQuote(dir_.File("work"));
  }

  TempDir dir_;
  std::string db_ = dir_.File("results.db");
};

TEST_F(DeviceCliTest, RunPicksOneSingleThreadSlotPerCoreAndSaysSo) {
  CliResult r = Run("run " + ShellQuote(DeviceSpec(dir_, "cpu", 0, 3)) + Local());
  ASSERT_EQ(r.code, 0) << r.err;
  const int slots = std::min(Cores(), 3);
  EXPECT_NE(r.err.find("slots: auto: " + std::to_string(slots) + " CPU slot"), std::string::npos) << r.err;
  EXPECT_EQ(QueryOne(db_, "SELECT slots FROM workers"), slots);
  EXPECT_EQ(QueryOne(db_, "SELECT count(*) FROM trials WHERE status = 'succeeded'"), 3);
}

TEST_F(DeviceCliTest, RunRefusesAGpuSpecWithoutGpusAndCpuFlagsOnAGpuSpec) {
  CliResult r = Run("run " + ShellQuote(DeviceSpec(dir_, "gpu", 1, 2)) + " --gpus none" + Local());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("need 1 GPU each (resources.gpus: 1) but no GPU was found here"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("set resources.gpus: 0"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(db_)) << "nothing is created for a sweep that cannot run here";

  r = Run("run " + ShellQuote(DeviceSpec(dir_, "cpu", 0, 2)) + " --gpus 0" + Local());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("runs CPU trials (resources.gpus: 0)"), std::string::npos) << r.err;
}

TEST_F(DeviceCliTest, StatusSaysWhyASweepWaits) {
  Cluster cluster(dir_);
  cluster.StartCoordinator("5s");
  cluster.StartWorker({"cpu-only", 1, {{"LTSWEEP_FAKE_EPOCH_MS", "20"}}, {"--gpus", "none"}});
  const std::string at = " --coordinator " + cluster.address();
  CliResult r = Run("submit " + ShellQuote(DeviceSpec(dir_, "big", 2, 2)) + at);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(WaitUntil([&] { return Run("status" + at).out.find("cpu-only on ") != std::string::npos; }, 10s));
  r = Run("status" + at);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("    waiting: no worker has a slot with 2 GPUs\n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ltsweep::testing
