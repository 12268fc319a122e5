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
// PreprocessReview() = Tokenize, drop stop words (stop_words.h), lemmatise
// (lemmatizer.h), drop stop words again (a lemma may be one, e.g. "others").
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ltsweep::trainer::text {

std::vector<std::string> Tokenize(std::string_view text);

std::vector<std::string> PreprocessReview(std::string_view text);

}  // namespace ltsweep::trainer::text
