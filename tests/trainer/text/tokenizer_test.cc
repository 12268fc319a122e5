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

TEST(StopWordList, ParsesTheConfigNames) {
  EXPECT_EQ(ParseStopWordList("sklearn"), StopWordList::kSklearn);
  EXPECT_EQ(ParseStopWordList("sklearn_keep_negations"), StopWordList::kSklearnKeepNegations);
  EXPECT_EQ(ParseStopWordList("none"), StopWordList::kNone);
  EXPECT_EQ(ParseStopWordList("nltk"), std::nullopt);
  for (auto list : {StopWordList::kSklearn, StopWordList::kSklearnKeepNegations, StopWordList::kNone})
    EXPECT_EQ(ParseStopWordList(StopWordListName(list)), list);
}

TEST(StopWordList, KeepNegationsRemovesExactlyTheNegationsFromScikitLearnsList) {
  // Every kept negation is on scikit-learn's list (so keeping it changes something).
  for (std::string_view w : NegationWords()) {
    EXPECT_TRUE(IsStopWord(w)) << w;
    EXPECT_FALSE(IsStopWord(w, StopWordList::kSklearnKeepNegations)) << w;
  }
  for (const char* w : {"no", "not", "nor", "never", "nothing", "nobody", "none", "noone", "neither", "nowhere",
                        "cannot", "without", "cant", "couldnt", "hasnt"})
    EXPECT_FALSE(IsStopWord(w, StopWordList::kSklearnKeepNegations)) << w;
  // The rest of the list still goes.
  size_t removed = 0;
  for (std::string_view w : StopWords()) removed += IsStopWord(w, StopWordList::kSklearnKeepNegations) ? 1 : 0;
  EXPECT_EQ(removed, StopWords().size() - NegationWords().size());
  for (const char* w : {"the", "and", "is", "can", "nevertheless", "either"})
    EXPECT_TRUE(IsStopWord(w, StopWordList::kSklearnKeepNegations)) << w;
  for (const char* w : {"the", "not", "can"}) EXPECT_FALSE(IsStopWord(w, StopWordList::kNone)) << w;
}

TEST(Tokenize, JoinsNegatedContractionsOnlyWhenAsked) {
  // Split (the report's, scikit-learn's token pattern): "don", "t" (dropped: one letter).
  EXPECT_EQ(Tokenize("Don't, CAN'T; won\xe2\x80\x99t isn't it's o'clock"),
            (V{"don", "can", "won", "isn", "it", "clock"}));
  // Joined: "n't" with ASCII or typographic apostrophe becomes part of the word, as typed without it.
  EXPECT_EQ(Tokenize("Don't, CAN'T; won\xe2\x80\x99t isn't it's o'clock", TokenizeOptions{true}),
            (V{"dont", "cant", "wont", "isnt", "it", "clock"}));
  // Only before a non-letter: "n'ts" and "n'tx" are not contractions; "'t" after another letter is not either.
  EXPECT_EQ(Tokenize("don'ts can'tx it't", TokenizeOptions{true}), (V{"don", "ts", "can", "tx", "it"}));
}

TEST(PreprocessReview, DefaultListDropsNegationsKeepNegationsKeepsThem) {
  const char* review = "The plot was NOT good, never funny and I can't recommend it. Nothing works; didn't care.";
  EXPECT_EQ(PreprocessReview(review), (V{"plot", "good", "funny", "recommend", "work", "didn", "care"}));
  EXPECT_EQ(PreprocessReview(review, StopWordList::kSklearn), PreprocessReview(review));
  EXPECT_EQ(PreprocessReview(review, StopWordList::kSklearnKeepNegations),
            (V{"plot", "not", "good", "never", "funny", "cant", "recommend", "nothing", "work", "didnt", "care"}));
  EXPECT_EQ(PreprocessReview(review, StopWordList::kNone),
            (V{"the", "plot", "was", "not", "good", "never", "funny", "and", "cant", "recommend", "it", "nothing",
               "work", "didnt", "care"}));
}

}  // namespace
}  // namespace ltsweep::trainer::text
