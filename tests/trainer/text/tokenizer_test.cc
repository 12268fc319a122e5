#include "trainer/text/tokenizer.h"

#include <gtest/gtest.h>

#include "trainer/text/lemmatizer.h"
#include "trainer/text/stop_words.h"

namespace ltsweep::trainer::text {
namespace {

using V = std::vector<std::string>;

TEST(Tokenize, LowerCasesKeepsAlphabeticRunsAndSplitsLineBreaks) {
  EXPECT_EQ(Tokenize("The END.<br /><br />It's 2 GOOD-looking films!"),
            (V{"the", "end", "it", "good", "looking", "films"}));
  // "<br>" and "<BR/>" count as breaks too; single letters are dropped.
  EXPECT_EQ(Tokenize("a<br>b cd<BR/>ef x9yz"), (V{"cd", "ef", "yz"}));
  // A "<" that is not a line break is just a separator.
  EXPECT_EQ(Tokenize("less<than>more"), (V{"less", "than", "more"}));
  EXPECT_EQ(Tokenize("caf\xc3\xa9 na\xc3\xafve"), (V{"caf", "na", "ve"}));
  EXPECT_TRUE(Tokenize("1234 ... !!").empty());
}

TEST(StopWords, IsScikitLearnsList) {
  EXPECT_EQ(StopWords().size(), 318u);
  for (const char* w : {"the", "and", "not", "no", "never", "yourselves", "amoungst", "thru", "bill"})
    EXPECT_TRUE(IsStopWord(w)) << w;
  for (const char* w : {"movie", "film", "good", "bad", "great", "awful", "br"}) EXPECT_FALSE(IsStopWord(w)) << w;
}

TEST(Lemmatize, MapsPluralNounsToSingular) {
  EXPECT_EQ(Lemmatize("movies"), "movie");
  EXPECT_EQ(Lemmatize("films"), "film");
  EXPECT_EQ(Lemmatize("stories"), "story");
  EXPECT_EQ(Lemmatize("comedies"), "comedy");
  EXPECT_EQ(Lemmatize("classes"), "class");
  EXPECT_EQ(Lemmatize("watches"), "watch");
  EXPECT_EQ(Lemmatize("boxes"), "box");
  EXPECT_EQ(Lemmatize("women"), "woman");
  EXPECT_EQ(Lemmatize("men"), "man");
  EXPECT_EQ(Lemmatize("children"), "child");
  EXPECT_EQ(Lemmatize("heroes"), "hero");
  EXPECT_EQ(Lemmatize("lives"), "life");
}

TEST(Lemmatize, LeavesNonPluralsAlone) {
  for (const char* w : {"actress", "bonus", "analysis", "series", "species", "news", "watched", "boring", "bad",
                        "gas", "was", "is"})
    EXPECT_EQ(Lemmatize(w), w);
}

TEST(PreprocessReview, FixedSentence) {
  EXPECT_EQ(PreprocessReview("The movies were NOT good.<br /><br />Actors' performances: awful, boring stories!"),
            (V{"movie", "good", "actor", "performance", "awful", "boring", "story"}));
  // "others" lemmatises to "other", a stop word, and is dropped; so is "it".
  EXPECT_EQ(PreprocessReview("Others liked it; critics didn't."), (V{"liked", "critic", "didn"}));
}

}  // namespace
}  // namespace ltsweep::trainer::text
