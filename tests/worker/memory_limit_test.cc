// The optional memory limit per slot (issue 12): the flag's sizes, the note
// on a crash, and a real fake-trainer process that allocates past its
// RLIMIT_AS and dies naming std::bad_alloc.
#include <signal.h>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"
#include "worker/memory_limit.h"
#include "worker/trainer_command.h"
#include "worker/trainer_process.h"

namespace ltsweep::worker {
namespace {

using ::ltsweep::testing::TempDir;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;  // ASan reserves terabytes of address space: RLIMIT_AS kills it
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

TEST(MemoryLimitTest, ParsesSizesWithBinaryUnits) {
  EXPECT_EQ(*ParseMemoryLimit("8G"), uint64_t{8} << 30);
  EXPECT_EQ(*ParseMemoryLimit("8g"), uint64_t{8} << 30);
  EXPECT_EQ(*ParseMemoryLimit("512M"), uint64_t{512} << 20);
  EXPECT_EQ(*ParseMemoryLimit("512MiB"), uint64_t{512} << 20);
  EXPECT_EQ(*ParseMemoryLimit("1.5G"), uint64_t{3} << 29);
  EXPECT_EQ(*ParseMemoryLimit("33554432"), uint64_t{32} << 20);
  EXPECT_EQ(*ParseMemoryLimit("0"), 0u);
  for (const std::string bad : {"", "G", "8X", "-1G", "8 G", "1.2.3G", "1M", "nanG", "8GG"}) {
    auto r = ParseMemoryLimit(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("--memory-limit"), std::string::npos);
    }
  }
  EXPECT_EQ(FormatMemoryLimit(uint64_t{8} << 30), "8G");
  EXPECT_EQ(FormatMemoryLimit(uint64_t{1536} << 20), "1536M");
  EXPECT_EQ(FormatMemoryLimit(1000), "1000");
}

TEST(MemoryLimitTest, NoteOnlyWithALimitAndAnAllocationFailure) {
  const uint64_t limit = uint64_t{8} << 30;
  EXPECT_EQ(MemoryLimitNote(limit, "ltsweep-train: crash: std::bad_alloc"), "memory limit 8G reached? ");
  EXPECT_EQ(MemoryLimitNote(limit, "DefaultCPUAllocator: can't allocate memory: you tried ..."),
            "memory limit 8G reached? ");
  EXPECT_EQ(MemoryLimitNote(limit, "fake trainer: crashing after epoch 1 as asked"), "");
  EXPECT_EQ(MemoryLimitNote(0, "std::bad_alloc"), "");
}

TEST(MemoryLimitTest, TheLimitReachesTheSpawnOptions) {
  TrainerInvocation invocation;
  invocation.trainer = "t";
  invocation.memory_limit_bytes = 123u << 20;
  EXPECT_EQ(MakeSpawnOptions(invocation).memory_limit_bytes, 123u << 20);
}

// Runs the fake trainer allocating `alloc_mb` under `limit`; returns its
// exit and stderr tail.
std::pair<contract::TrainerExit, std::string> RunAllocating(int alloc_mb, uint64_t limit) {
  TempDir dir;
  testing::WriteFile(dir.path() / "config.json", R"({"train": {"epochs": 1}})");
  SpawnOptions spawn;
  spawn.path = LTSWEEP_FAKE_TRAIN_PATH;
  spawn.args = {"--config", dir.File("config.json")};
  spawn.env = {{"LTSWEEP_FAKE_ALLOC_MB", std::to_string(alloc_mb)}, {"LTSWEEP_FAKE_EPOCH_MS", "1"}};
  spawn.memory_limit_bytes = limit;
  auto proc = TrainerProcess::Spawn(spawn);
  EXPECT_TRUE(proc.ok());
  if (!proc.ok()) return {};
  bool closed = false;
  while (!closed) (*proc)->ReadLines(100, &closed);
  contract::TrainerExit exit = (*proc)->Wait();
  return {exit, (*proc)->StderrTail()};
}

TEST(MemoryLimitTest, ATrainerPastItsLimitDiesNamingBadAlloc) {
  if (kAsan) GTEST_SKIP() << "RLIMIT_AS cannot be tested under AddressSanitizer";
  const auto [within, within_err] = RunAllocating(32, uint64_t{1} << 30);
  EXPECT_FALSE(within.signaled) << within_err;
  EXPECT_EQ(within.code, contract::kExitOk) << within_err;

  const uint64_t limit = uint64_t{256} << 20;
  const auto [past, past_err] = RunAllocating(1024, limit);
  EXPECT_TRUE(past.signaled || past.code != contract::kExitOk) << past_err;
  EXPECT_NE(past_err.find("bad_alloc"), std::string::npos) << past_err;
  EXPECT_EQ(MemoryLimitNote(limit, past_err), "memory limit 256M reached? ");
}

}  // namespace
}  // namespace ltsweep::worker
