#include "trainer/text/imdb_reader.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"

namespace ltsweep::trainer::text {
namespace {

using ltsweep::testing::SourceDir;
using ltsweep::testing::TempDir;
using ltsweep::testing::WriteFile;

TEST(UnescapeTsvText, UndoesTheFourEscapes) {
  auto r = UnescapeTsvText(R"(a\tb\\c\nd\re)");
  ASSERT_OK(r);
  EXPECT_EQ(*r, std::string("a\tb\\c\nd\re"));
  auto plain = UnescapeTsvText("no escapes <br /> here");
  ASSERT_OK(plain);
  EXPECT_EQ(*plain, "no escapes <br /> here");
  // A double backslash followed by t is a backslash and a letter t.
  auto tricky = UnescapeTsvText(R"(x\\ty)");
  ASSERT_OK(tricky);
  EXPECT_EQ(*tricky, "x\\ty");
}

TEST(UnescapeTsvText, RejectsUnknownAndDanglingEscapes) {
  EXPECT_FALSE(UnescapeTsvText(R"(bad \q)", "f:3").ok());
  auto st = UnescapeTsvText("ends with \\", "f.tsv:7");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("f.tsv:7"), std::string::npos);
}

TEST(ReadImdbTsv, ReadsGzipAndPlainWithEscapes) {
  TempDir dir;
  std::string body = "label\tid\trating\ttext\npos\t3\t9\tGreat\\tfilm \\\\o/\nneg\t10\t2\tBad<br />movie\n";
  WriteFile(dir.path() / "imdb_test.tsv", body);
  std::string gz = dir.File("imdb_train.tsv.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, body.data(), static_cast<unsigned>(body.size()));
  gzclose(f);
  for (const char* split : {"train", "test"}) {
    auto reviews = ReadImdbSplit(dir.path().string(), split);
    ASSERT_OK(reviews);
    ASSERT_EQ(reviews->size(), 2u);
    EXPECT_EQ((*reviews)[0].label, kPositive);
    EXPECT_EQ((*reviews)[0].id, 3);
    EXPECT_EQ((*reviews)[0].rating, 9);
    EXPECT_EQ((*reviews)[0].text, "Great\tfilm \\o/");
    EXPECT_EQ((*reviews)[1].label, kNegative);
    EXPECT_EQ((*reviews)[1].text, "Bad<br />movie");
  }
}

TEST(ReadImdbTsv, NamesTheFileAndLineOfABadRow) {
  TempDir dir;
  WriteFile(dir.path() / "imdb_train.tsv", "label\tid\trating\ttext\npos\t1\t9\tok\nmaybe\t2\t5\tx\n");
  auto r = ReadImdbTsv(dir.File("imdb_train.tsv"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("imdb_train.tsv:3"), std::string::npos) << r.status().message();
}

TEST(ReadImdbTsv, TruncatedGzipIsDataLoss) {
  TempDir dir;
  std::string body = "label\tid\trating\ttext\n";
  for (int i = 0; i < 2000; ++i) body += "pos\t" + std::to_string(i) + "\t9\tsome text that compresses\n";
  std::string gz = dir.File("imdb_train.tsv.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, body.data(), static_cast<unsigned>(body.size()));
  gzclose(f);
  std::string bytes = ltsweep::testing::ReadFile(gz);
  WriteFile(gz, bytes.substr(0, bytes.size() / 2));
  auto r = ReadImdbTsv(gz);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
}

TEST(ReadImdbTsv, DecompressesAtMostTheCap) {
  EXPECT_EQ(kMaxImdbTsvBytes, uint64_t{512} << 20);
  TempDir dir;
  std::string body = "label\tid\trating\ttext\n";
  while (body.size() < (3u << 20)) body += "pos\t1\t9\t" + std::string(1000, 'a') + "\n";
  std::string gz = dir.File("imdb_train.tsv.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, body.data(), static_cast<unsigned>(body.size()));
  gzclose(f);
  auto r = ReadImdbTsv(gz, uint64_t{1} << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("imdb_train.tsv.gz: decompresses to more than 1048576 bytes"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(ReadImdbTsv(gz, uint64_t{4} << 20).ok());
}

TEST(ReadAclImdb, ReadsTheFixtureInTsvOrder) {
  auto root = (SourceDir() / "tests/trainer/text/fixtures/aclImdb").string();
  auto train = ReadImdbSplit(root, "train");
  ASSERT_OK(train);
  ASSERT_EQ(train->size(), 16u);
  // pos first, then neg, each by numeric id.
  EXPECT_EQ((*train)[0].label, kPositive);
  EXPECT_EQ((*train)[0].id, 1);
  EXPECT_EQ((*train)[7].id, 8);
  EXPECT_EQ((*train)[8].label, kNegative);
  EXPECT_EQ((*train)[8].id, 11);
  EXPECT_EQ((*train)[8].rating, 1);
  auto test = ReadImdbSplit(root, "test");
  ASSERT_OK(test);
  EXPECT_EQ(test->size(), 8u);
  EXPECT_FALSE(ReadImdbSplit(root, "unsup").ok());
}

TEST(ReadImdbTsv, SharedTrainFileHasTheDocumentedCounts) {
  LTSWEEP_REQUIRE_SHARED();
  auto r = ReadImdbTsv((ltsweep::testing::SharedDir() / "data/imdb/imdb_train.tsv.gz").string());
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 25000u);
  int pos = 0, tabs = 0;
  for (const auto& rev : *r) {
    pos += rev.label == kPositive;
    tabs += rev.text.find('\t') != std::string::npos;
  }
  EXPECT_EQ(pos, 12500);
  EXPECT_GT(tabs, 0);  // README: some reviews contain TABs (escaped in the file)
  EXPECT_EQ((*r)[0].text.rfind("Bromwell High is a cartoon comedy", 0), 0u);
}

}  // namespace
}  // namespace ltsweep::trainer::text
