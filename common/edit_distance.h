// Edit distance between two words, for "did you mean" suggestions in error
// messages (spec keys, trial-config keys, choices).
#pragma once

#include <cstddef>
#include <string_view>

namespace ltsweep {

enum class AdjacentSwap {
  kTwoEdits,  // plain Levenshtein: "valuse" -> "values" is 2
  kOneEdit,   // optimal string alignment: a swap of neighbours is 1 edit
};

// Insertions, deletions and substitutions (and swaps, as `swap` says) that
// turn `a` into `b`.
size_t EditDistance(std::string_view a, std::string_view b, AdjacentSwap swap);

}  // namespace ltsweep
