// Text preprocessing of the IMDB track, as the reproduction report describes
// it: lower-case, keep alphabetic tokens, drop English stop words, lemmatise.
//
// Tokenize():
//   1. every HTML line break "<br />" (also "<br/>", "<br>", any case) becomes
//      a space, so "end.<br /><br />The" splits into "end" and "the";
//   2. ASCII letters are lower-cased; a token is a maximal run of ASCII
//      letters; everything else (digits, punctuation, apostrophes, non-ASCII
//      bytes) separates tokens, so "don't" gives "don" and "t";
//   3. tokens shorter than 2 letters are dropped (scikit-learn's default
//      token pattern \b\w\w+\b keeps 2+ characters too).
//   With TokenizeOptions::join_negated_contractions, a negated contraction is
//   one token instead: a letter run ending in "n", an apostrophe (' or the
//   typographic U+2019), "t" and then a non-letter or the end becomes the run
//   plus "t", the word as typed without the apostrophe ("don't" -> "dont",
//   "CAN'T" -> "cant", "won't" -> "wont"). Nothing else changes ("it's" still
//   gives "it"; "don'ts" gives "don", "ts").
// PreprocessReview() = Tokenize, drop stop words (stop_words.h), lemmatise
// (lemmatizer.h), drop stop words again (a lemma may be one, e.g. "others").
// Its StopWordList (data.stop_words) picks the list; every list but kSklearn
// keeps the negations, so it also joins negated contractions: under kSklearn
// (the report's) "can't" gives "can", a stop word, and "didn't" gives "didn";
// under the others "cant" and "didnt".
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trainer/text/stop_words.h"

namespace ltsweep::trainer::text {

struct TokenizeOptions {
  bool join_negated_contractions = false;  // "don't" -> "dont" (see above)
};

std::vector<std::string> Tokenize(std::string_view text, TokenizeOptions options = {});

std::vector<std::string> PreprocessReview(std::string_view text, StopWordList list = StopWordList::kSklearn);

}  // namespace ltsweep::trainer::text
