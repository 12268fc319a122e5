// TrainBatches: where an image trial's training batches come from, behind one
// interface so the training loop is the same for both data paths:
//
//   host    a BatchLoader (batch_loader.h) assembles augmented float batches
//           on CPU threads; each is wrapped without a copy and, on CUDA,
//           copied to the device (the path of every CPU trial by default);
//   device  the whole training set lives on the device as uint8
//           (device_batches.h) and each batch is built there; nothing is
//           copied per batch (train.data_on_device, default on CUDA).
//
// For the same order and epoch seed both give the same batches.
//
// Ownership: borrows the ImageSet (must outlive the object); a TrainBatch's
// tensors may alias internal buffers and stay valid until the next Next() or
// Stop(). Thread-safety: one consumer thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "trainer/image/augment.h"
#include "trainer/image/image_data.h"

namespace ltsweep::trainer {

struct TrainBatch {
  int64_t index = 0;  // batch number within the epoch
  int64_t size = 0;   // images in this batch
  torch::Tensor x;    // float [size, C, H, W] on the trial's device, normalised
  torch::Tensor y;    // int64 [size] on the trial's device
};

class TrainBatches {
 public:
  virtual ~TrainBatches() = default;
  // Starts an epoch over `order` (indices into the set); seeds as BatchLoader.
  virtual void StartEpoch(std::vector<int64_t> order, uint64_t epoch_seed) = 0;
  virtual int64_t num_batches() const = 0;
  // The next batch of the epoch, in order; false once the epoch is done.
  virtual bool Next(TrainBatch* batch) = 0;
  // Ends the epoch early (and any background work); StartEpoch may follow.
  virtual void Stop() = 0;
};

// The host path: a background BatchLoader; batches moved to `device` if it is
// not the CPU.
std::unique_ptr<TrainBatches> MakeHostBatches(const ImageSet& set, const AugmentOptions& augment, int64_t batch_size,
                                              torch::Device device);
// The device path: `set` uploaded to `device` once.
std::unique_ptr<TrainBatches> MakeDeviceBatches(const ImageSet& set, const AugmentOptions& augment,
                                                int64_t batch_size, torch::Device device);

}  // namespace ltsweep::trainer
