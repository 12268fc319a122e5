#include "trainer/image/batch_loader.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace ltsweep::trainer {

uint64_t BatchSeed(uint64_t epoch_seed, int64_t batch) {
  uint64_t z = epoch_seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(batch + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

BatchLoader::BatchLoader(const ImageSet& set, AugmentOptions augment, BatchLoaderOptions options)
    : set_(set), augment_(std::move(augment)), options_(options) {
  if (options_.batch_size < 1) throw std::invalid_argument("BatchLoader: batch_size must be >= 1");
  options_.num_buffers = std::max(2, options_.num_buffers);
  data_.resize(options_.num_buffers);
  labels_.resize(options_.num_buffers);
  for (int s = 0; s < options_.num_buffers; ++s) {
    data_[s].resize(static_cast<size_t>(options_.batch_size * set_.image_size()));
    labels_[s].resize(static_cast<size_t>(options_.batch_size));
  }
}

BatchLoader::~BatchLoader() { Stop(); }

void BatchLoader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (producer_.joinable()) producer_.join();
}

void BatchLoader::StartEpoch(std::vector<int64_t> order, uint64_t epoch_seed) {
  Stop();
  order_ = std::move(order);
  epoch_seed_ = epoch_seed;
  num_batches_ = (static_cast<int64_t>(order_.size()) + options_.batch_size - 1) / options_.batch_size;
  next_ = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
    ready_.clear();
    free_.clear();
    for (int s = 0; s < options_.num_buffers; ++s) free_.push_back(s);
  }
  producer_ = std::thread([this] { Produce(); });
}

void BatchLoader::Produce() {
  const int64_t n = static_cast<int64_t>(order_.size());
  for (int64_t b = 0; b < num_batches_; ++b) {
    int slot;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !free_.empty(); });
      if (stop_) return;
      slot = free_.front();
      free_.pop_front();
    }
    const int64_t begin = b * options_.batch_size;
    const int64_t size = std::min(options_.batch_size, n - begin);
    const int64_t* idx = order_.data() + begin;
    AssembleTrainBatch(set_, idx, size, augment_, BatchSeed(epoch_seed_, b), data_[slot].data());
    int64_t* labels = labels_[slot].data();
    for (int64_t i = 0; i < size; ++i) labels[i] = set_.labels[static_cast<size_t>(idx[i])];
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_.push_back({b, slot, size});
    }
    cv_.notify_all();
  }
}

bool BatchLoader::Next(BatchView* view) {
  if (next_ >= num_batches_) return false;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stop_ || !ready_.empty(); });
  if (ready_.empty()) return false;
  Ready r = ready_.front();
  ready_.pop_front();
  ++next_;
  view->slot = r.slot;
  view->index = r.index;
  view->size = r.size;
  view->data = data_[r.slot].data();
  view->labels = labels_[r.slot].data();
  return true;
}

void BatchLoader::Release(int slot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(slot);
  }
  cv_.notify_all();
}

}  // namespace ltsweep::trainer
