// The device-resident data path of the image track (train.data_on_device).
//
// DeviceImageSet uploads a whole ImageSet once, as uint8 NCHW, with its
// labels and a per-channel lookup table (v -> (v / 255 - mean) / std, the
// float32 values of augment.cc); after that no image crosses from the host.
// DeviceBatcher cuts an epoch into batches on the device: StartEpoch draws
// the epoch's order, crop offsets and flips on the host (augment_plan.h) and
// uploads them in one copy; Batch(b) builds batch b by index arithmetic: one
// gather of the padded-cropped-flipped pixels (padding reads as value 0) and
// one lookup in the table, all tensor ops on the set's device, no loop over
// images. For the same order and seed a batch equals the BatchLoader's
// (batch_loader.h) bit for bit, on any device (tests/trainer/image/
// device_batches_test.cc).
//
// The same code runs with --device cpu, where it is what CI tests.
//
// Ownership: DeviceImageSet owns its tensors; DeviceBatcher borrows the set
// (it must outlive the batcher) and owns the epoch's plan.
// Thread-safety: not thread-safe; one training loop uses them.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "trainer/image/augment.h"
#include "trainer/image/image_data.h"

namespace ltsweep::trainer {

class DeviceImageSet {
 public:
  // Uploads `set` to `device` (one copy each of pixels and labels).
  // ConfigError when options' mean / std do not match the set's channels.
  DeviceImageSet(const ImageSet& set, const AugmentOptions& options, torch::Device device);

  int64_t size() const { return num_; }
  int64_t channels() const { return channels_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int pad() const { return pad_; }
  torch::Device device() const { return pixels_.device(); }
  // Labels of all images, int64 [N] on the device.
  const torch::Tensor& labels() const { return labels_; }

  // Images `index` (int64 [n] on the device), each cropped at (top, left) of
  // its image zero-padded by pad() pixels per side, flipped where flip is 1,
  // normalised: float [n, C, H, W] on the device. top, left, flip: int64 [n].
  torch::Tensor Augmented(const torch::Tensor& index, const torch::Tensor& top, const torch::Tensor& left,
                          const torch::Tensor& flip) const;
  // Images [begin, end) normalised, without augmentation (evaluation).
  torch::Tensor Plain(int64_t begin, int64_t end) const;

 private:
  int64_t num_ = 0, channels_ = 0, height_ = 0, width_ = 0;
  int pad_ = 0;
  torch::Tensor pixels_;   // uint8 [N * C * H * W]
  torch::Tensor labels_;   // int64 [N]
  torch::Tensor lut_;      // float32 [C * 256]
  torch::Tensor channel_;  // int64 [1, C, 1, 1]: the channel index
};

// One training batch on the device.
struct DeviceBatch {
  int64_t index = 0;  // batch number within the epoch
  int64_t size = 0;   // images in it (<= batch_size; the last may be partial)
  torch::Tensor x;    // float [size, C, H, W], normalised
  torch::Tensor y;    // int64 [size]
};

class DeviceBatcher {
 public:
  // Requires batch_size >= 1 (std::invalid_argument).
  DeviceBatcher(const DeviceImageSet& set, AugmentOptions options, int64_t batch_size);

  // Plans the epoch over `order` (indices into the set) with the seed a
  // BatchLoader would get, and uploads the plan (one host-to-device copy).
  void StartEpoch(const std::vector<int64_t>& order, uint64_t epoch_seed);
  int64_t num_batches() const { return num_batches_; }
  int64_t batch_size() const { return batch_size_; }
  // Batch b (0 <= b < num_batches()) of the current epoch.
  DeviceBatch Batch(int64_t b) const;

 private:
  const DeviceImageSet& set_;
  AugmentOptions options_;
  int64_t batch_size_;
  int64_t num_images_ = 0;
  int64_t num_batches_ = 0;
  torch::Tensor plan_;  // int64 [4, n] on the device: index, top, left, flip
};

}  // namespace ltsweep::trainer
