// BatchLoader: the training data pipeline. A background thread assembles the
// batches of one epoch (augmented, normalised float NCHW + int64 labels) into
// a small ring of reusable buffers while the model trains on the previous
// one, so the model never waits for data and nothing is allocated per sample
// or per batch after construction.
//
// Batch b of an epoch holds order[b*B .. min((b+1)*B, N)) (the last partial
// batch is kept, as the reference's DataLoader) and is augmented with seed
// BatchSeed(epoch_seed, b): the result depends only on (order, epoch_seed),
// never on thread timing, so runs are reproducible and resumable.
//
// Torch-free: the training loop wraps a BatchView's pointers in tensors
// without copying (torch::from_blob) and releases the slot after the step.
//
// Ownership: borrows the ImageSet (must outlive the loader); owns the ring
// buffers and the producer thread (joined by Stop() / the destructor).
// Thread-safety: StartEpoch / Next / Release / Stop are called from one
// consumer thread; the producer is internal.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "common/config_schema.h"
#include "trainer/image/augment.h"
#include "trainer/image/image_data.h"

namespace ltsweep::trainer {

struct BatchLoaderOptions {
  // Images per batch (train.batch_size).
  int64_t batch_size = SchemaDefault<int64_t>("train.batch_size");
  // Reusable batch buffers in the ring (>= 2). Default 3: one being trained
  // on, up to two prepared ahead.
  int num_buffers = 3;
};

// One prepared batch; its pointers stay valid until Release(slot).
struct BatchView {
  int slot = -1;
  int64_t index = 0;        // batch number within the epoch
  int64_t size = 0;         // images in this batch (<= batch_size)
  float* data = nullptr;    // size x C x H x W, normalised
  int64_t* labels = nullptr;
};

// The augmentation seed of batch `batch` of an epoch (a splitmix64 mix).
uint64_t BatchSeed(uint64_t epoch_seed, int64_t batch);

class BatchLoader {
 public:
  BatchLoader(const ImageSet& set, AugmentOptions augment, BatchLoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts producing the batches of `order` (indices into the set) in the
  // background. Every slot of the previous epoch must have been released.
  void StartEpoch(std::vector<int64_t> order, uint64_t epoch_seed);
  // Blocks until batch number `next` is ready; false once the epoch is done.
  bool Next(BatchView* view);
  // Hands a slot back to the producer.
  void Release(int slot);
  // Stops the producer (waits for it); StartEpoch may be called again.
  void Stop();

  int64_t num_batches() const { return num_batches_; }
  int64_t batch_size() const { return options_.batch_size; }

 private:
  struct Ready {
    int64_t index;
    int slot;
    int64_t size;
  };
  void Produce();

  const ImageSet& set_;
  AugmentOptions augment_;
  BatchLoaderOptions options_;
  std::vector<std::vector<float>> data_;     // one per slot
  std::vector<std::vector<int64_t>> labels_;  // one per slot

  std::vector<int64_t> order_;
  uint64_t epoch_seed_ = 0;
  int64_t num_batches_ = 0;
  int64_t next_ = 0;  // consumer side: next batch to hand out

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> free_;    // guarded by mu_
  std::deque<Ready> ready_;  // guarded by mu_
  bool stop_ = false;        // guarded by mu_
  std::thread producer_;
};

}  // namespace ltsweep::trainer
