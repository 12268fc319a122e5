// The English stop-word lists of the IMDB track (data.stop_words).
//
// kSklearn (the default, the report's "removed the stop words"): scikit-learn's
// ENGLISH_STOP_WORDS (sklearn.feature_extraction.text, 318 words, from the
// Glasgow Information Retrieval Group's list). It includes the negations
// ("not", "no", "never", "nothing", "cannot", ...), which carry much of a
// negative review's signal.
// kSklearnKeepNegations: the same list less NegationWords() (15 words), so the
// negations reach the vocabulary. The tokenizer then also keeps a negated
// contraction as one word ("don't" -> "dont", "can't" -> "cant"; tokenizer.h).
// kNone: nothing is removed (contractions joined as for kSklearnKeepNegations).
//
// Thread-safety: the lists are immutable; functions are safe from any thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace ltsweep::trainer::text {

enum class StopWordList { kSklearn, kSklearnKeepNegations, kNone };

// "sklearn", "sklearn_keep_negations", "none" (the data.stop_words values);
// nullopt for anything else.
std::optional<StopWordList> ParseStopWordList(std::string_view name);
const char* StopWordListName(StopWordList list);

// True when `word` (lower-case) is on scikit-learn's list.
bool IsStopWord(std::string_view word);

// True when `word` (lower-case) is removed under `list`.
bool IsStopWord(std::string_view word, StopWordList list);

// The negations kSklearnKeepNegations keeps, sorted; every one is on
// scikit-learn's list: no, not, nor, never, nothing, nobody, none, noone,
// neither, nowhere, cannot, without ("without a single laugh" negates as
// "no" does), and the contractions the list spells without an apostrophe:
// cant, couldnt, hasnt. Not kept: "nevertheless", "against", "less", "few",
// "except" (contrast or quantity, not negation).
const std::vector<std::string_view>& NegationWords();

// The whole list, sorted.
const std::vector<std::string_view>& StopWords();

}  // namespace ltsweep::trainer::text
