// Long-tailed subsets, exactly as the LDAM-DRW reference builds them
// (ALGORITHMS.md §1): per-class counts for the exp / step / none profiles, and
// the choice of kept images (one MT19937 stream, seeded once, shuffling each
// class's positions in label order, keeping the first n_c).
//
// Pure functions; thread-safe. Invalid arguments throw ConfigError (errors.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ltsweep::trainer {

enum class ImbalanceType { kExp, kStep, kNone };

// "exp" | "step" | "none" (data.imbalance.type); anything else throws ConfigError.
ImbalanceType ParseImbalanceType(const std::string& name);

// Per-class training counts, class 0 the head:
//   exp:  n_i = trunc(img_max * imb_factor^(i / (C-1))), imb_factor = 1.0 / ratio
//   step: first C/2 classes trunc(img_max), the rest trunc(img_max * imb_factor)
//         (odd C: the middle class counts as a tail class, so the list has C entries)
//   none: trunc(img_max) for every class.
// img_max = (training images) / C as a double (5000.0 for CIFAR-10). The ratio
// is kept double throughout (a float32 imb_factor gives 49 instead of 50).
// Requires num_classes >= 1, img_max >= 0 and ratio >= 1.
std::vector<int64_t> ImbalancedClassCounts(int num_classes, double img_max, ImbalanceType type, double ratio);

// The kept within-class ranks: for each class c in label order, shuffles
// arange(class_sizes[c]) with one NumpyRandomState(seed) stream and keeps the
// first counts[c] entries. Rank k means "the k-th image of class c in file
// order". Requires counts[c] <= class_sizes[c].
std::vector<std::vector<int64_t>> KeptWithinClassRanks(const std::vector<int64_t>& class_sizes,
                                                       const std::vector<int64_t>& counts, uint32_t seed);

// The kept dataset positions for a label vector, in the reference's order:
// class 0's kept images first (in shuffled order), then class 1's, and so on.
// class_sizes are the per-class frequencies of `labels`; labels must lie in
// [0, num_classes) and counts[c] must not exceed class c's size (ConfigError).
std::vector<int64_t> KeptPositions(const std::vector<int32_t>& labels, int num_classes,
                                   const std::vector<int64_t>& counts, uint32_t seed);

// Per-class frequencies of `labels` (labels outside [0, num_classes) throw ConfigError).
std::vector<int64_t> ClassCounts(const std::vector<int32_t>& labels, int num_classes);

}  // namespace ltsweep::trainer
