#include "trainer/text/text_dataset.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"

namespace ltsweep::trainer::text {
namespace {

namespace fs = std::filesystem;
using ltsweep::testing::SourceDir;
using ltsweep::testing::TempDir;

// A writable copy of the fixture, so a test may touch its files.
fs::path CopyFixture(const TempDir& dir) {
  fs::path dst = dir.path() / "aclImdb";
  fs::copy(SourceDir() / "tests/trainer/text/fixtures/aclImdb", dst, fs::copy_options::recursive);
  return dst;
}

TextDataOptions Options(const fs::path& root, const TempDir& cache) {
  TextDataOptions o;
  o.root = root.string();
  o.cache_dir = (cache.path() / "cache").string();
  o.keep_fraction = 0.5;
  o.val_split = 0.25;
  o.max_features = 30;
  o.seed = 1;
  return o;
}

TEST(PrepareTextData, ImbalanceAndSplitCountsOnTheFixture) {
  TempDir dir;
  auto data = PrepareTextData(Options(CopyFixture(dir), dir));
  ASSERT_OK(data);
  // 8 pos + round(0.5 * 8) = 4 neg kept; dev takes round(0.25 * n_c) per class.
  EXPECT_EQ(data->train.ClassCounts(), (std::array<int64_t, 2>{3, 6}));
  EXPECT_EQ(data->dev.ClassCounts(), (std::array<int64_t, 2>{1, 2}));
  EXPECT_EQ(data->test.ClassCounts(), (std::array<int64_t, 2>{4, 4}));
  EXPECT_EQ(data->vocab.size(), 30);
  EXPECT_FALSE(data->from_cache);
  // Every document is non-empty in this fixture and holds valid ranks.
  for (const auto& d : data->test.docs) {
    EXPECT_FALSE(d.empty());
    for (int32_t r : d) EXPECT_LT(r, 30);
  }
}

TEST(PrepareTextData, CacheIsReusedAndInvalidatedByAPreprocessingChange) {
  TempDir dir;
  fs::path root = CopyFixture(dir);
  auto opts = Options(root, dir);
  auto first = PrepareTextData(opts);
  ASSERT_OK(first);
  EXPECT_FALSE(first->from_cache);
  ASSERT_TRUE(fs::exists(first->cache_file));

  auto second = PrepareTextData(opts);
  ASSERT_OK(second);
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->cache_file, first->cache_file);
  EXPECT_EQ(second->vocab.tokens(), first->vocab.tokens());
  EXPECT_EQ(second->train.docs, first->train.docs);
  EXPECT_EQ(second->test.labels, first->test.labels);

  // Threads are not part of the key.
  auto threaded = opts;
  threaded.threads = 2;
  auto third = PrepareTextData(threaded);
  ASSERT_OK(third);
  EXPECT_TRUE(third->from_cache);

  for (int change = 0; change < 6; ++change) {
    auto o = opts;
    if (change == 0) o.max_features = 20;
    if (change == 1) o.keep_fraction = 0.75;
    if (change == 2) o.val_split = 0.5;
    if (change == 3) o.seed = 2;
    if (change == 4) o.stop_words = StopWordList::kSklearnKeepNegations;
    if (change == 5) o.stop_words = StopWordList::kNone;
    auto d = PrepareTextData(o);
    ASSERT_OK(d);
    EXPECT_FALSE(d->from_cache) << "change " << change;
    EXPECT_NE(d->cache_key, first->cache_key);
  }

  // The stop-word list is acted on: "the" is the fixture's most frequent word once it is kept.
  auto all_words = opts;
  all_words.stop_words = StopWordList::kNone;
  auto kept = PrepareTextData(all_words);
  ASSERT_OK(kept);
  EXPECT_EQ(kept->vocab.tokens().front(), "the");
  for (const auto& t : first->vocab.tokens()) EXPECT_NE(t, "the");

  // Editing a review changes the data identity.
  ltsweep::testing::WriteFile(root / "train/pos/1_9.txt", "Now a rather different and longer review text.");
  auto edited = PrepareTextData(opts);
  ASSERT_OK(edited);
  EXPECT_FALSE(edited->from_cache);
}

TEST(PrepareTextData, CorruptCacheIsRebuilt) {
  TempDir dir;
  auto opts = Options(CopyFixture(dir), dir);
  auto first = PrepareTextData(opts);
  ASSERT_OK(first);
  std::string bytes = ltsweep::testing::ReadFile(first->cache_file);
  ltsweep::testing::WriteFile(first->cache_file, bytes.substr(0, bytes.size() / 2));
  auto again = PrepareTextData(opts);
  ASSERT_OK(again);
  EXPECT_FALSE(again->from_cache);
  EXPECT_EQ(again->train.docs, first->train.docs);
  auto third = PrepareTextData(opts);
  ASSERT_OK(third);
  EXPECT_TRUE(third->from_cache);
}

TEST(PrepareTextData, MissingRootNamesIt) {
  TempDir dir;
  auto opts = Options(dir.path() / "nowhere", dir);
  auto r = PrepareTextData(opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nowhere"), std::string::npos);
}

TEST(TextDataOptions, ReadsTheStopWordListFromTheResolvedConfig) {
  auto config = ResolveTrialConfig(nlohmann::json::parse(
      R"({"data": {"dataset": "imdb", "root": "x", "stop_words": "sklearn_keep_negations"}, "model": {"arch": "logreg"}})"));
  ASSERT_OK(config);
  auto o = TextDataOptions::FromConfig(*config);
  ASSERT_OK(o);
  EXPECT_EQ(o->stop_words, StopWordList::kSklearnKeepNegations);
  (*config)["data"]["stop_words"] = "sklearn";
  EXPECT_EQ(TextDataOptions::FromConfig(*config)->stop_words, StopWordList::kSklearn);
  (*config)["data"]["stop_words"] = "nltk";  // past the schema: still refused, naming the key
  auto bad = TextDataOptions::FromConfig(*config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("data.stop_words"), std::string::npos);
}

}  // namespace
}  // namespace ltsweep::trainer::text
