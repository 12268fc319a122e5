// Tests of trainer/core/checkpoint_file.h: the frame's checks, the write
// protocol (temporary file, rotation of the last two) and the machine-level
// error mapping, on real files in a temporary folder.
#include "trainer/core/checkpoint_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

namespace fs = std::filesystem;
using ::ltsweep::testing::ReadFile;
using ::ltsweep::testing::TempDir;
using ::ltsweep::testing::WriteFile;

std::string Message(const StatusOr<std::string_view>& r) { return r.ok() ? "(ok)" : r.status().message(); }

std::vector<std::string> FileNames(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(CheckpointFileTest, Crc32IsZlibs) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(Crc32("6789", Crc32("12345")), 0xCBF43926u);
}

TEST(CheckpointFileTest, FrameRoundTrips) {
  const std::string payload = "PK\x03\x04 torch archive bytes";
  const std::string framed = FrameCheckpoint(payload);
  ASSERT_EQ(framed.size(), kCheckpointHeaderSize + payload.size());
  EXPECT_EQ(framed.substr(0, 8), "LTSWCKPT");
  auto got = UnframeCheckpoint(framed, "f");
  ASSERT_TRUE(got.ok()) << Message(got);
  EXPECT_EQ(*got, payload);
  auto empty = UnframeCheckpoint(FrameCheckpoint(""), "f");
  ASSERT_TRUE(empty.ok()) << Message(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(CheckpointFileTest, EveryDefectIsDataLossNamingTheFileAndWhat) {
  const std::string framed = FrameCheckpoint(std::string(1000, 'p'));
  struct Case {
    std::string bytes;
    std::string want;
  };
  std::string bad_magic = framed, bad_version = framed, bad_header = framed, bad_payload = framed;
  bad_magic[0] = 'X';
  bad_version[8] = 2;
  bad_header[20] = 1;  // the length field, under the header checksum
  bad_payload[500] ^= 0x01;
  const std::vector<Case> cases = {
      {"", "shorter than the 32-byte checkpoint header"},
      {framed.substr(0, 31), "shorter than the 32-byte checkpoint header"},
      {framed.substr(0, framed.size() - 1), "(truncated)"},
      {framed + "x", "(trailing bytes)"},
      {bad_magic, "bad magic"},
      {bad_version, "format version 2"},
      {bad_header, "header checksum mismatch"},
      {bad_payload, "payload checksum mismatch"},
      {std::string(5000, 'x'), "bad magic"},
  };
  for (const Case& c : cases) {
    auto r = UnframeCheckpoint(c.bytes, "ckpt/checkpoint.pt");
    ASSERT_FALSE(r.ok()) << c.want;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << c.want;
    EXPECT_EQ(r.status().message().rfind("ckpt/checkpoint.pt: ", 0), 0u) << r.status().message();
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().message();
  }
}

TEST(CheckpointFileTest, WritesKeepTheLastTwoAndNoTemporaryFile) {
  TempDir dir;
  const std::string ckpt = dir.File("run/ckpt");
  EXPECT_EQ(WriteCheckpointFile(ckpt, "first"), ckpt + "/checkpoint.pt");
  EXPECT_EQ(FileNames(ckpt), std::vector<std::string>{"checkpoint.pt"});
  WriteCheckpointFile(ckpt, "second");
  WriteCheckpointFile(ckpt, "third");
  EXPECT_EQ(FileNames(ckpt), (std::vector<std::string>{"checkpoint.prev.pt", "checkpoint.pt"}));
  auto newest = ReadCheckpointFile(ckpt + "/checkpoint.pt");
  auto previous = ReadCheckpointFile(ckpt + "/checkpoint.prev.pt");
  ASSERT_TRUE(newest.ok()) << newest.status().message();
  ASSERT_TRUE(previous.ok()) << previous.status().message();
  EXPECT_EQ(*newest, "third");
  EXPECT_EQ(*previous, "second");
  EXPECT_EQ(CheckpointCandidates(ckpt), (std::vector<std::string>{ckpt + "/checkpoint.pt", ckpt + "/checkpoint.prev.pt"}));
  EXPECT_EQ(ReadCheckpointFile(ckpt + "/nothing.pt").status().code(), StatusCode::kNotFound);
}

TEST(CheckpointFileTest, ACorruptNewestSetAsideIsNotRotatedOverTheGoodPrevious) {
  TempDir dir;
  const std::string ckpt = dir.File("ckpt");
  WriteCheckpointFile(ckpt, "epoch 0");
  WriteCheckpointFile(ckpt, "epoch 1");
  WriteFile(ckpt + "/checkpoint.pt", "torn");
  SetAsideCorruptCheckpoint(ckpt + "/checkpoint.pt");
  EXPECT_EQ(CheckpointCandidates(ckpt), std::vector<std::string>{ckpt + "/checkpoint.prev.pt"});
  WriteCheckpointFile(ckpt, "epoch 1 again");
  auto previous = ReadCheckpointFile(ckpt + "/checkpoint.prev.pt");
  ASSERT_TRUE(previous.ok()) << previous.status().message();
  EXPECT_EQ(*previous, "epoch 0");
  EXPECT_EQ(ReadFile(ckpt + "/checkpoint.pt.corrupt"), "torn");
}

TEST(CheckpointFileTest, StaleTemporaryFilesOfEarlierProcessesAreRemoved) {
  TempDir dir;
  const std::string ckpt = dir.File("ckpt");
  WriteFile(ckpt + "/ckpt.tmp.12345.0", "half a checkpoint");
  WriteFile(ckpt + "/notes.txt", "kept");
  CheckCheckpointDirWritable(ckpt);
  EXPECT_EQ(FileNames(ckpt), std::vector<std::string>{"notes.txt"});
}

TEST(CheckpointFileTest, AFolderThatCannotBeCreatedIsNotCannotRunHereUnlessTheMachineSaysSo) {
  TempDir dir;
  WriteFile(dir.File("file"), "x");
  // A path through a regular file (ENOTDIR) is a wrong path, not a full disk.
  EXPECT_THROW(CheckCheckpointDirWritable(dir.File("file/ckpt")), std::runtime_error);
  try {
    CheckCheckpointDirWritable(dir.File("file/ckpt"));
  } catch (const CannotRunHere&) {
    ADD_FAILURE() << "ENOTDIR mapped to CannotRunHere";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("file/ckpt"), std::string::npos) << e.what();
  }
}

TEST(CheckpointFileTest, MachineIoErrors) {
  for (int err : {ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EIO}) EXPECT_TRUE(IsMachineIoError(err)) << err;
  for (int err : {ENOENT, ENOTDIR, EINVAL, EISDIR, 0}) EXPECT_FALSE(IsMachineIoError(err)) << err;
}

TEST(CheckpointFileTest, AReadOnlyFolderIsCannotRunHere) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: permissions do not bind (train_test covers it as nobody)";
  TempDir dir;
  fs::create_directories(dir.path() / "ro");
  fs::permissions(dir.path() / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(CheckCheckpointDirWritable(dir.File("ro/ckpt")), CannotRunHere);
  EXPECT_THROW(WriteCheckpointFile(dir.File("ro"), "x"), CannotRunHere);
  fs::permissions(dir.path() / "ro", fs::perms::owner_all);
}

}  // namespace
}  // namespace ltsweep::trainer
