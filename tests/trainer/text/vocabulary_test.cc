#include "trainer/text/vocabulary.h"

#include <gtest/gtest.h>

namespace ltsweep::trainer::text {
namespace {

using Docs = std::vector<std::vector<std::string>>;

TEST(Vocabulary, RanksByCountThenByteOrder) {
  Docs docs = {{"film", "bad", "good", "zed"}, {"good", "film", "apple"}, {"film", "good", "bad", "cat"}};
  // counts: film 3, good 3, bad 2, apple 1, cat 1, zed 1
  auto v = Vocabulary::Build(docs, 4);
  EXPECT_EQ(v.tokens(), (std::vector<std::string>{"film", "good", "bad", "apple"}));
  EXPECT_EQ(v.Rank("film"), 0);
  EXPECT_EQ(v.Rank("apple"), 3);
  EXPECT_EQ(v.Rank("cat"), -1);
  // Document order does not matter.
  Docs reversed(docs.rbegin(), docs.rend());
  for (auto& d : reversed) std::reverse(d.begin(), d.end());
  EXPECT_EQ(Vocabulary::Build(reversed, 4).tokens(), v.tokens());
  // Asking for more than there is keeps everything.
  EXPECT_EQ(Vocabulary::Build(docs, 100).size(), 6);
}

TEST(Vocabulary, RanksDropOutOfVocabularyTokens) {
  Vocabulary v({"good", "bad"});
  EXPECT_EQ(v.Ranks({"bad", "ugly", "good", "bad"}), (std::vector<int32_t>{1, 0, 1}));
}

TEST(EncodeSequence, TruncatesAndPadsAtTheEnd) {
  std::vector<int64_t> out(4, -1);
  EXPECT_EQ(EncodeSequence({5, 0, 2}, 4, out.data()), 3);
  EXPECT_EQ(out, (std::vector<int64_t>{6, 1, 3, kPadId}));
  EXPECT_EQ(EncodeSequence({1, 2, 3, 4, 5, 6}, 4, out.data()), 4);
  EXPECT_EQ(out, (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(EncodeSequence({}, 4, out.data()), 0);
  EXPECT_EQ(out, (std::vector<int64_t>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace ltsweep::trainer::text
