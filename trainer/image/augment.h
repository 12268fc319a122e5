// Torch-free batch assembly: uint8 NCHW images in, normalised float NCHW out,
// written straight into a caller-provided buffer (no per-sample allocation).
//
// Training (augment on), per image, in the reference's order:
//   zero-pad `pad` pixels on each side (on uint8), random crop back to H x W
//   (top and left offsets uniform over 0..2*pad), horizontal flip with p = 0.5
//   (if flip), divide by 255, normalise per channel (x - mean) / std, all in
//   float32 like ToTensor + Normalize. Padded pixels become (0 - mean) / std.
// Evaluation: divide by 255 and normalise only.
//
// Defaults by data set (AugmentOptions::ForDataset; data.flip overrides the
// flip, ApplyFlipKey):
//   cifar10, cifar100: pad 4, flip, mean (0.4914, 0.4822, 0.4465),
//                      std (0.2023, 0.1994, 0.2010) (the reference's constants);
//   fashion_mnist:     pad 2, no flip (mirrored garments are not the data
//                      distribution's), mean 0.2860, std 0.3530;
//   synthetic:         pad 1, no flip, mean 0.5, std 0.25 per channel.
//
// Randomness: each batch gets its own 64-bit seed from the loop, so a batch's
// augmentation does not depend on which thread assembles it or when.
//
// Thread-safety: free functions; concurrent calls on different output
// buffers are safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config_schema.h"
#include "trainer/image/image_data.h"

namespace ltsweep::trainer {

struct AugmentOptions {
  // data.augment: pad + crop (+ flip) on training batches
  bool augment = SchemaDefault<bool>("data.augment");
  int pad = 4;                   // zero padding per side before the crop
  bool flip = true;              // random horizontal flip, p = 0.5
  std::vector<float> mean = {0.4914f, 0.4822f, 0.4465f};  // per channel
  std::vector<float> std = {0.2023f, 0.1994f, 0.2010f};   // per channel

  // The defaults above for `dataset` (cifar10 | cifar100 | fashion_mnist |
  // synthetic); `augment` from data.augment. ConfigError for another name.
  static AugmentOptions ForDataset(const std::string& dataset, bool augment);
};

// data.flip: "auto" keeps o.flip (the data set's default above), "on" and
// "off" set it. ConfigError naming data.flip for another value.
void ApplyFlipKey(const std::string& flip, AugmentOptions& o);

// Writes n augmented, normalised training images (indices into `set`) to
// out[n * C * H * W]. The crop offsets and flips are drawn from a
// std::mt19937_64 seeded with `seed` in a fixed order (top, left, flip per
// image), so the result depends only on (indices, seed).
void AssembleTrainBatch(const ImageSet& set, const int64_t* indices, int64_t n, const AugmentOptions& options,
                        uint64_t seed, float* out);

// Writes n images scaled and normalised, without augmentation.
void AssembleEvalBatch(const ImageSet& set, const int64_t* indices, int64_t n, const AugmentOptions& options,
                       float* out);

// One image with explicit augmentation parameters (crop offsets in 0..2*pad,
// flip), for tests and for callers that draw their own randomness.
void AugmentOne(const uint8_t* image, int channels, int height, int width, const AugmentOptions& options, int top,
                int left, bool flip, float* out);

}  // namespace ltsweep::trainer
