// The random part of training-batch augmentation, drawn apart from the
// pixels: for each image of an epoch, its crop offsets and flip, exactly as
// AssembleTrainBatch (augment.h) draws them for the batches a BatchLoader
// (batch_loader.h) assembles. The device-resident data path
// (device_batches.h) draws an epoch's plan here on the host, uploads it once
// and applies it on the device, so both paths crop and flip the same images
// the same way for the same seed.
//
// Torch-free. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "trainer/image/augment.h"

namespace ltsweep::trainer {

// Per image of an epoch, in batch order: crop offsets in the padded image
// (0..2*pad; pad, pad = no crop) and a horizontal flip (0 or 1).
struct AugmentPlan {
  std::vector<int64_t> top;
  std::vector<int64_t> left;
  std::vector<int64_t> flip;
};

// The plan for n images cut into batches of batch_size (the last one
// partial): batch b draws from std::mt19937_64(BatchSeed(epoch_seed, b)) in
// AssembleTrainBatch's order (top, left, flip per image). Without
// options.augment every image gets (pad, pad, no flip), the identity.
// Requires batch_size >= 1.
AugmentPlan PlanEpochAugmentation(const AugmentOptions& options, int64_t n, int64_t batch_size,
                                  uint64_t epoch_seed);

}  // namespace ltsweep::trainer
