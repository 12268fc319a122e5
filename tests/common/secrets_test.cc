// common/secrets.h: CSPRNG bytes, hex, constant-time comparison, private files.
#include "common/secrets.h"

#include <sys/stat.h>

#include <set>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"

namespace ltsweep {
namespace {

TEST(SecretsTest, RandomBytesHaveTheSizeAskedAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) {
    auto bytes = SecureRandomBytes(32);
    ASSERT_OK(bytes);
    EXPECT_EQ(bytes->size(), 32u);
    seen.insert(*bytes);
  }
  EXPECT_EQ(seen.size(), 16u);
  auto hex = SecureRandomHex(16);
  ASSERT_OK(hex);
  EXPECT_EQ(hex->size(), 32u);
  EXPECT_EQ(hex->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(SecureRandomBytes(0)->size(), 0u);
}

TEST(SecretsTest, HexEncode) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(SecretsTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0", 2), "a"));
}

TEST(SecretsTest, ReadPrivateFileRefusesFilesOthersCanReadOrChange) {
  testing::TempDir dir;
  const std::string path = dir.File("secret");
  EXPECT_EQ(ReadPrivateFile(path, "--x").status().code(), StatusCode::kNotFound);
  testing::WriteFile(path, "s3cret\n");
  ASSERT_EQ(chmod(path.c_str(), 0604), 0);
  auto open_file = ReadPrivateFile(path, "--x");
  ASSERT_FALSE(open_file.ok());
  EXPECT_EQ(open_file.status().message(),
            "--x: " + path + ": mode 0604 lets other users read or change it; run: chmod 600 " + path);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  auto read = ReadPrivateFile(path, "--x");
  ASSERT_OK(read);
  EXPECT_EQ(*read, "s3cret\n");
  EXPECT_EQ(ReadPrivateFile(dir.path().string(), "--x").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ltsweep
