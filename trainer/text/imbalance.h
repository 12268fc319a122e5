// Imbalance and dev split of the IMDB training set (torch-free, seeded).
//
// Both use their own Fisher-Yates shuffle driven by std::mt19937 (for i from
// n-1 down to 1: j = rng() % (i + 1)), so the chosen reviews are the same
// with every standard library.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace ltsweep::trainer::text {

// Deterministic in-place shuffle (see above).
void SeededShuffle(std::vector<int64_t>& v, uint32_t seed);

// Indices (ascending) of the reviews kept when only round(keep_fraction *
// n_neg) of the negative reviews (label 0) are kept, chosen by a seeded
// shuffle of the negatives; every positive review is kept.
std::vector<int64_t> ImbalanceIndices(const std::vector<int>& labels, double keep_fraction, uint32_t seed);

struct SplitIndices {
  std::vector<int64_t> train;  // ascending
  std::vector<int64_t> dev;    // ascending
};

// Stratified dev split: from each class c, round(val_split * n_c) reviews
// chosen by a seeded shuffle go to dev, the rest to train.
SplitIndices DevSplit(const std::vector<int>& labels, double val_split, uint32_t seed);

// Stratified cut to at most `limit` items (0 = no cut): each class keeps
// round(limit * n_c / n) items (at least 1 when it has any), chosen by a
// seeded shuffle. Indices ascending.
std::vector<int64_t> StratifiedLimit(const std::vector<int>& labels, int64_t limit, uint32_t seed);

}  // namespace ltsweep::trainer::text
