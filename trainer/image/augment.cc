#include "trainer/image/augment.h"

#include <array>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

// lut[v] = (v / 255 - mean) / std in float32, as ToTensor + Normalize compute it.
std::array<float, 256> ChannelLut(float mean, float std) {
  std::array<float, 256> lut;
  for (int v = 0; v < 256; ++v) lut[v] = (static_cast<float>(v) / 255.0f - mean) / std;
  return lut;
}

void CheckOptions(const ImageSet& set, const AugmentOptions& o) {
  if (static_cast<int>(o.mean.size()) != set.channels || static_cast<int>(o.std.size()) != set.channels) {
    throw ConfigError(fmt::format("augmentation: {} mean / {} std values for {} channels", o.mean.size(), o.std.size(),
                                  set.channels));
  }
}

void CheckIndex(const ImageSet& set, int64_t index) {
  if (index < 0 || index >= set.num) throw DataError(fmt::format("batch index {} outside [0, {})", index, set.num));
}

std::vector<std::array<float, 256>> Luts(const AugmentOptions& o, int channels) {
  std::vector<std::array<float, 256>> luts;
  luts.reserve(channels);
  for (int ch = 0; ch < channels; ++ch) luts.push_back(ChannelLut(o.mean[ch], o.std[ch]));
  return luts;
}

// Pad, crop at (top, left) of the padded image, optionally flip, normalise.
void AugmentWithLuts(const uint8_t* image, int channels, int height, int width, int pad,
                     const std::vector<std::array<float, 256>>& luts, int top, int left, bool flip, float* out) {
  for (int ch = 0; ch < channels; ++ch) {
    const std::array<float, 256>& lut = luts[ch];
    const uint8_t* plane = image + static_cast<int64_t>(ch) * height * width;
    float* dst = out + static_cast<int64_t>(ch) * height * width;
    for (int y = 0; y < height; ++y) {
      const int sy = y + top - pad;
      float* row = dst + static_cast<int64_t>(y) * width;
      if (sy < 0 || sy >= height) {
        for (int x = 0; x < width; ++x) row[x] = lut[0];
        continue;
      }
      const uint8_t* src = plane + static_cast<int64_t>(sy) * width;
      for (int x = 0; x < width; ++x) {
        const int cx = flip ? width - 1 - x : x;  // flip after the crop
        const int sx = cx + left - pad;
        row[x] = (sx < 0 || sx >= width) ? lut[0] : lut[src[sx]];
      }
    }
  }
}

}  // namespace

AugmentOptions AugmentOptions::ForDataset(const std::string& dataset, bool augment) {
  AugmentOptions o;
  o.augment = augment;
  if (dataset == "cifar10" || dataset == "cifar100") return o;
  if (dataset == "fashion_mnist") {
    o.pad = 2;
    o.flip = false;
    o.mean = {0.2860f};
    o.std = {0.3530f};
    return o;
  }
  if (dataset == "synthetic") {
    o.pad = 1;
    o.flip = false;
    o.mean = {0.5f, 0.5f, 0.5f};
    o.std = {0.25f, 0.25f, 0.25f};
    return o;
  }
  throw ConfigError(fmt::format("data.dataset: no augmentation defaults for '{}'", dataset));
}

void ApplyFlipKey(const std::string& flip, AugmentOptions& o) {
  if (flip == "auto") return;
  if (flip != "on" && flip != "off") throw ConfigError(fmt::format("data.flip: '{}' is not auto, on or off", flip));
  o.flip = flip == "on";
}

void AugmentOne(const uint8_t* image, int channels, int height, int width, const AugmentOptions& options, int top,
                int left, bool flip, float* out) {
  std::vector<std::array<float, 256>> luts;
  for (int ch = 0; ch < channels; ++ch) luts.push_back(ChannelLut(options.mean.at(ch), options.std.at(ch)));
  AugmentWithLuts(image, channels, height, width, options.pad, luts, top, left, flip, out);
}

void AssembleTrainBatch(const ImageSet& set, const int64_t* indices, int64_t n, const AugmentOptions& options,
                        uint64_t seed, float* out) {
  if (!options.augment) return AssembleEvalBatch(set, indices, n, options, out);
  CheckOptions(set, options);
  std::mt19937_64 engine(seed);
  const uint64_t span = static_cast<uint64_t>(2 * options.pad + 1);
  const int64_t size = set.image_size();
  const auto luts = Luts(options, set.channels);
  for (int64_t i = 0; i < n; ++i) {
    CheckIndex(set, indices[i]);
    const int top = static_cast<int>(engine() % span);
    const int left = static_cast<int>(engine() % span);
    const bool flip = (engine() >> 63) != 0;
    AugmentWithLuts(set.image(indices[i]), set.channels, set.height, set.width, options.pad, luts, top, left,
                    options.flip && flip, out + i * size);
  }
}

void AssembleEvalBatch(const ImageSet& set, const int64_t* indices, int64_t n, const AugmentOptions& options,
                       float* out) {
  CheckOptions(set, options);
  const auto luts = Luts(options, set.channels);
  const int64_t plane = static_cast<int64_t>(set.height) * set.width;
  for (int64_t i = 0; i < n; ++i) {
    CheckIndex(set, indices[i]);
    const uint8_t* src = set.image(indices[i]);
    float* dst = out + i * set.image_size();
    for (int ch = 0; ch < set.channels; ++ch) {
      const auto& lut = luts[ch];
      for (int64_t p = 0; p < plane; ++p) dst[ch * plane + p] = lut[src[ch * plane + p]];
    }
  }
}

}  // namespace ltsweep::trainer
