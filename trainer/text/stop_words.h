// The English stop-word list of the IMDB track: scikit-learn's
// ENGLISH_STOP_WORDS (sklearn.feature_extraction.text, 318 words, from the
// Glasgow Information Retrieval Group's list). It includes negations such as
// "not", "no" and "never", as scikit-learn's does; this follows the report's
// "removed the stop words" and costs some sentiment signal.
//
// Thread-safety: the list is immutable; functions are safe from any thread.
#pragma once

#include <string_view>
#include <vector>

namespace ltsweep::trainer::text {

// True when `word` (lower-case) is on the list.
bool IsStopWord(std::string_view word);

// The whole list, sorted.
const std::vector<std::string_view>& StopWords();

}  // namespace ltsweep::trainer::text
