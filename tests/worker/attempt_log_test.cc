// The worker's copy of an attempt's trainer stderr (worker/attempt_log.h):
// valid UTF-8 whatever the trainer prints (invalid bytes U+FFFD, characters
// split across reads kept whole), chunks with offsets that never overlap,
// a bounded memory and a gap where a flood outran the shipping; and the
// bounded stderr.log of a real trainer process flooding stderr.
#include "worker/attempt_log.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/trial_logs.h"
#include "tests/testing/test_util.h"
#include "worker/trainer_process.h"

namespace ltsweep::worker {
namespace {

std::string Joined(const std::vector<TextChunk>& chunks, int64_t expect_from) {
  std::string text;
  int64_t at = expect_from;
  for (const TextChunk& c : chunks) {
    EXPECT_EQ(c.offset, at) << "chunks follow each other";
    EXPECT_TRUE(utf8::IsValid(c.text));
    EXPECT_LE(static_cast<int64_t>(c.text.size()), kTrialLogChunkBytes);
    text += c.text;
    at += static_cast<int64_t>(c.text.size());
  }
  return text;
}

TEST(AttemptLogTest, InvalidBytesBecomeReplacementCharactersAndSplitCharactersStayWhole) {
  AttemptLog log;
  log.Append("caf\xc3");  // an é cut in two by the pipe
  EXPECT_EQ(log.end_offset(), 3) << "the lead byte waits for the rest";
  log.Append("\xa9 ok\n");
  log.Append("bad \xff\xfe byte, stray \x80, overlong \xc0\xaf\n");
  log.Append("\xe2\x82");  // an unfinished € at the end of the stream
  log.Close();
  const std::string text = Joined(log.TakeChunks(1 << 20), 0);
  EXPECT_EQ(text,
            "caf\xc3\xa9 ok\n"
            "bad \xef\xbf\xbd\xef\xbf\xbd byte, stray \xef\xbf\xbd, overlong \xef\xbf\xbd\xef\xbf\xbd\n"
            "\xef\xbf\xbd\xef\xbf\xbd");  // ToValidUtf8: one U+FFFD per byte of a cut sequence
  EXPECT_EQ(log.end_offset(), static_cast<int64_t>(text.size()));
  EXPECT_TRUE(log.TakeChunks(1 << 20).empty());
}

TEST(AttemptLogTest, ChunksAreBoundedCutAtCharactersAndTakenOnce) {
  AttemptLog log(/*keep_bytes=*/1 << 20, /*chunk_bytes=*/10);
  std::string text;
  for (int i = 0; i < 20; ++i) text += "\xc3\xa9\xe2\x82\xac";  // é€: 2 + 3 bytes
  log.Append(text);
  auto first = log.TakeChunks(25);
  const std::string a = Joined(first, 0);
  EXPECT_GE(a.size(), 20u);
  EXPECT_LE(a.size(), 30u);
  const std::string b = Joined(log.TakeChunks(1 << 20), static_cast<int64_t>(a.size()));
  EXPECT_EQ(a + b, text);
  EXPECT_EQ(log.pending_bytes(), 0);
  EXPECT_EQ(log.skipped_bytes(), 0);
}

TEST(AttemptLogTest, AFloodKeepsTheLastBytesAndSkipsWhatWasNeverTaken) {
  const int64_t keep = 64 << 10;
  AttemptLog log(keep, 4 << 10);
  log.Append("head\n");
  EXPECT_EQ(Joined(log.TakeChunks(1 << 20), 0), "head\n");
  std::string line(99, 'x');
  line += "\n";
  for (int i = 0; i < 10000; ++i) log.Append(line);  // ~1 MB, 15 x keep
  log.Append("last line\n");
  EXPECT_LE(log.pending_bytes(), keep);
  auto rest = log.TakeChunks(1 << 20);
  ASSERT_FALSE(rest.empty());
  const std::string tail = Joined(rest, rest.front().offset);
  EXPECT_GT(rest.front().offset, 5) << "a gap: the bytes the flood pushed out";
  EXPECT_LE(static_cast<int64_t>(tail.size()), keep);
  EXPECT_GE(static_cast<int64_t>(tail.size()), keep - 4);
  EXPECT_EQ(tail.substr(tail.size() - 10), "last line\n");
  EXPECT_EQ(rest.front().offset - 5, log.skipped_bytes());
  EXPECT_EQ(log.end_offset(), 5 + 10000 * 100 + 10);
}

TEST(AttemptLogTest, ATrainerFloodingStderrLeavesABoundedLogFileAndTheLastBytesInMemory) {
  testing::TempDir dir;
  nlohmann::json config = {{"train", {{"epochs", 1}, {"seed", 3}, {"lr", 0.1}}}};
  std::ofstream(dir.File("config.json")) << config.dump();
  SpawnOptions o;
  o.path = LTSWEEP_FAKE_TRAIN_PATH;
  o.args = {"--config", dir.File("config.json")};
  o.env = {{"LTSWEEP_FAKE_EPOCH_MS", "1"}, {"LTSWEEP_FAKE_STDERR_FLOOD_BYTES", std::to_string(4 << 20)}};
  o.stderr_log_path = dir.File("stderr.log");
  o.stderr_log_max_bytes = 1 << 20;
  AttemptLog log;
  o.on_stderr = [&log](std::string_view bytes) { log.Append(bytes); };
  auto p = TrainerProcess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  bool closed = false;
  while (!closed) (*p)->ReadLines(100, &closed);
  EXPECT_EQ((*p)->Wait().code, 0);
  log.Close();

  const auto size = std::filesystem::file_size(dir.File("stderr.log"));
  const auto older = std::filesystem::file_size(dir.File("stderr.log.1"));
  EXPECT_LE(size, 1u << 20);
  EXPECT_LE(older, 1u << 20);
  EXPECT_GE(size + older, 1u << 20) << "the last MiB at least is on disk";
  EXPECT_NE(testing::ReadFile(dir.File("stderr.log")).find("fake trainer: flood done"), std::string::npos);

  EXPECT_GE(log.end_offset(), 4 << 20);
  const std::string tail = Joined(log.TakeChunks(4 << 20), log.end_offset() - log.pending_bytes());
  EXPECT_LE(static_cast<int64_t>(tail.size()), kTrialLogKeepBytes);
  EXPECT_NE(tail.find("fake trainer: flood done\n"), std::string::npos);
}

}  // namespace
}  // namespace ltsweep::worker
