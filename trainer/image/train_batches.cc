#include "trainer/image/train_batches.h"

#include <utility>

#include "trainer/image/batch_loader.h"
#include "trainer/image/device_batches.h"

namespace ltsweep::trainer {
namespace {

class HostBatches : public TrainBatches {
 public:
  HostBatches(const ImageSet& set, const AugmentOptions& augment, int64_t batch_size, torch::Device device)
      : set_(set), device_(device), loader_(set, augment, Options(batch_size)) {}

  void StartEpoch(std::vector<int64_t> order, uint64_t epoch_seed) override {
    slot_ = -1;
    loader_.StartEpoch(std::move(order), epoch_seed);
  }
  int64_t num_batches() const override { return loader_.num_batches(); }

  bool Next(TrainBatch* batch) override {
    ReleaseHeld();
    BatchView view;
    if (!loader_.Next(&view)) return false;
    slot_ = view.slot;
    batch->index = view.index;
    batch->size = view.size;
    batch->x = torch::from_blob(view.data, {view.size, set_.channels, set_.height, set_.width}, torch::kFloat32);
    batch->y = torch::from_blob(view.labels, {view.size}, torch::kInt64);
    if (!device_.is_cpu()) {
      batch->x = batch->x.to(device_);
      batch->y = batch->y.to(device_);
    }
    return true;
  }

  void Stop() override {
    ReleaseHeld();
    loader_.Stop();
  }

 private:
  static BatchLoaderOptions Options(int64_t batch_size) {
    BatchLoaderOptions o;
    o.batch_size = batch_size;
    return o;
  }
  // The slot of the batch handed out last: the model may still read it until
  // the caller asks for the next one.
  void ReleaseHeld() {
    if (slot_ >= 0) loader_.Release(slot_);
    slot_ = -1;
  }

  const ImageSet& set_;
  torch::Device device_;
  BatchLoader loader_;
  int slot_ = -1;
};

class DeviceBatches : public TrainBatches {
 public:
  DeviceBatches(const ImageSet& set, const AugmentOptions& augment, int64_t batch_size, torch::Device device)
      : set_(set, augment, device), batcher_(set_, augment, batch_size) {}

  void StartEpoch(std::vector<int64_t> order, uint64_t epoch_seed) override {
    batcher_.StartEpoch(order, epoch_seed);
    next_ = 0;
  }
  int64_t num_batches() const override { return batcher_.num_batches(); }

  bool Next(TrainBatch* batch) override {
    if (next_ >= batcher_.num_batches()) return false;
    DeviceBatch b = batcher_.Batch(next_++);
    batch->index = b.index;
    batch->size = b.size;
    batch->x = std::move(b.x);
    batch->y = std::move(b.y);
    return true;
  }

  void Stop() override { next_ = batcher_.num_batches(); }

 private:
  DeviceImageSet set_;
  DeviceBatcher batcher_;
  int64_t next_ = 0;
};

}  // namespace

std::unique_ptr<TrainBatches> MakeHostBatches(const ImageSet& set, const AugmentOptions& augment, int64_t batch_size,
                                              torch::Device device) {
  return std::make_unique<HostBatches>(set, augment, batch_size, device);
}

std::unique_ptr<TrainBatches> MakeDeviceBatches(const ImageSet& set, const AugmentOptions& augment,
                                                int64_t batch_size, torch::Device device) {
  return std::make_unique<DeviceBatches>(set, augment, batch_size, device);
}

}  // namespace ltsweep::trainer
