#include "trainer/image/device_batches.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "trainer/core/errors.h"
#include "trainer/image/augment_plan.h"

namespace ltsweep::trainer {
namespace {

// A host vector copied into a new tensor on `device` (from_blob does not copy,
// so the clone owns the data before the vector goes).
torch::Tensor Upload(const void* data, torch::IntArrayRef shape, torch::Dtype dtype, torch::Device device) {
  torch::Tensor host = torch::from_blob(const_cast<void*>(data), shape, dtype);
  return device.is_cpu() ? host.clone() : host.to(device);
}

}  // namespace

DeviceImageSet::DeviceImageSet(const ImageSet& set, const AugmentOptions& options, torch::Device device)
    : num_(set.num), channels_(set.channels), height_(set.height), width_(set.width), pad_(options.pad) {
  if (static_cast<int64_t>(options.mean.size()) != channels_ || static_cast<int64_t>(options.std.size()) != channels_) {
    throw ConfigError(fmt::format("augmentation: {} mean / {} std values for {} channels", options.mean.size(),
                                  options.std.size(), channels_));
  }
  pixels_ = Upload(set.pixels.data(), {static_cast<int64_t>(set.pixels.size())}, torch::kUInt8, device);
  std::vector<int64_t> labels(set.labels.begin(), set.labels.end());
  labels_ = Upload(labels.data(), {num_}, torch::kInt64, device);
  // The same float32 arithmetic as augment.cc's ChannelLut, so values match bit for bit.
  std::vector<float> lut(static_cast<size_t>(channels_ * 256));
  for (int64_t ch = 0; ch < channels_; ++ch) {
    for (int v = 0; v < 256; ++v) {
      lut[ch * 256 + v] = (static_cast<float>(v) / 255.0f - options.mean[ch]) / options.std[ch];
    }
  }
  lut_ = Upload(lut.data(), {channels_ * 256}, torch::kFloat32, device);
  channel_ = torch::arange(channels_, torch::TensorOptions().dtype(torch::kInt64).device(device)).view({1, -1, 1, 1});
}

torch::Tensor DeviceImageSet::Augmented(const torch::Tensor& index, const torch::Tensor& top, const torch::Tensor& left,
                                        const torch::Tensor& flip) const {
  const int64_t n = index.size(0);
  const auto opts = torch::TensorOptions().dtype(torch::kInt64).device(pixels_.device());
  const torch::Tensor ys = torch::arange(height_, opts);
  const torch::Tensor xs = torch::arange(width_, opts);
  // Source row / column of every output pixel in the unpadded image.
  const torch::Tensor rows = ys.unsqueeze(0) + (top - pad_).unsqueeze(1);                     // [n, H]
  const torch::Tensor flipped = torch::where(flip.unsqueeze(1).ne(0), (width_ - 1) - xs, xs);  // [n, W]
  const torch::Tensor cols = flipped + (left - pad_).unsqueeze(1);                             // [n, W]
  const torch::Tensor inside = (rows.ge(0) & rows.lt(height_)).view({n, 1, height_, 1}) &
                               (cols.ge(0) & cols.lt(width_)).view({n, 1, 1, width_});
  const int64_t plane = height_ * width_;
  const torch::Tensor offset = (index * (channels_ * plane)).view({n, 1, 1, 1}) + channel_ * plane +
                               rows.clamp(0, height_ - 1).view({n, 1, height_, 1}) * width_ +
                               cols.clamp(0, width_ - 1).view({n, 1, 1, width_});
  const torch::Tensor value = pixels_.take(offset).to(torch::kInt64).masked_fill_(inside.logical_not(), 0);
  return lut_.take(value + channel_ * 256);
}

torch::Tensor DeviceImageSet::Plain(int64_t begin, int64_t end) const {
  const int64_t image = channels_ * height_ * width_;
  torch::Tensor value = pixels_.slice(0, begin * image, end * image).view({end - begin, channels_, height_, width_});
  return lut_.take(value.to(torch::kInt64) + channel_ * 256);
}

DeviceBatcher::DeviceBatcher(const DeviceImageSet& set, AugmentOptions options, int64_t batch_size)
    : set_(set), options_(std::move(options)), batch_size_(batch_size) {
  if (batch_size_ < 1) throw std::invalid_argument("DeviceBatcher: batch_size must be >= 1");
}

void DeviceBatcher::StartEpoch(const std::vector<int64_t>& order, uint64_t epoch_seed) {
  num_images_ = static_cast<int64_t>(order.size());
  for (int64_t i : order) {
    if (i < 0 || i >= set_.size()) throw DataError(fmt::format("batch index {} outside [0, {})", i, set_.size()));
  }
  num_batches_ = (num_images_ + batch_size_ - 1) / batch_size_;
  AugmentPlan plan = PlanEpochAugmentation(options_, num_images_, batch_size_, epoch_seed);
  std::vector<int64_t> packed;
  packed.reserve(static_cast<size_t>(4 * num_images_));
  const AugmentPlan& p = plan;
  for (const std::vector<int64_t>* row : {&order, &p.top, &p.left, &p.flip}) {
    packed.insert(packed.end(), row->begin(), row->end());
  }
  plan_ = Upload(packed.data(), {4, num_images_}, torch::kInt64, set_.device());
}

DeviceBatch DeviceBatcher::Batch(int64_t b) const {
  if (b < 0 || b >= num_batches_) throw std::out_of_range(fmt::format("DeviceBatcher: no batch {}", b));
  const int64_t begin = b * batch_size_;
  const int64_t end = std::min(num_images_, begin + batch_size_);
  const torch::Tensor part = plan_.slice(1, begin, end);
  DeviceBatch batch;
  batch.index = b;
  batch.size = end - begin;
  batch.x = set_.Augmented(part[0], part[1], part[2], part[3]);
  batch.y = set_.labels().index_select(0, part[0]);
  return batch;
}

}  // namespace ltsweep::trainer
