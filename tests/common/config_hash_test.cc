#include "common/config_hash.h"

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"

namespace ltsweep {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ConfigHashTest, StableUnderKeyOrderNumberSpellingAndDefaults) {
  auto a = TrialConfigHash(Json::parse(R"({"train": {"lr": 1e-4, "epochs": 200}, "method": {"loss": "ldam"}})"));
  auto b = TrialConfigHash(Json::parse(R"({"method": {"loss": "ldam"}, "train": {"epochs": 200.0, "lr": 0.0001}})"));
  auto c = TrialConfigHash(Json::parse(R"({"method": {"loss": "ldam", "reweight": "none"}, "train": {"lr": 0.00010}})"));
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(c);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(a->size(), 64u);

  auto d = TrialConfigHash(Json::parse(R"({"method": {"loss": "ldam"}, "train": {"lr": 0.00011}})"));
  ASSERT_OK(d);
  EXPECT_NE(*a, *d);
  auto e = TrialConfigHash(Json::parse(R"({"method": {"loss": "ldam"}, "train": {"lr": 0.0001, "seed": 1}})"));
  ASSERT_OK(e);
  EXPECT_NE(*a, *e);
}

TEST(ConfigHashTest, CanonicalJsonSortsAndCompacts) {
  EXPECT_EQ(CanonicalJson(Json::parse(R"({"b": 1, "a": {"d": 0.5, "c": [1, 2]}})")),
            R"({"a":{"c":[1,2],"d":0.5},"b":1})");
}

}  // namespace
}  // namespace ltsweep
