// The device-resident data path against the host loader: for the same order
// and seed every batch (crops, flips, normalisation, labels, order) is equal
// bit for bit, on $LTSWEEP_TEST_DEVICE (default cpu); evaluation images too.
#include "trainer/image/device_batches.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/trainer/test_device.h"
#include "trainer/image/augment_plan.h"
#include "trainer/core/errors.h"
#include "trainer/image/batch_loader.h"

namespace ltsweep::trainer {
namespace {

torch::Device TestTorchDevice() {
  const std::string name = ::ltsweep::testing::TestDevice();
  torch::Device device(name);
  return device;
}

// num images of C x size x size with uniform random pixels and labels.
ImageSet RandomSet(int num, int channels, int size, int classes, uint32_t seed) {
  ImageSet s;
  s.num = num;
  s.channels = channels;
  s.height = size;
  s.width = size;
  s.num_classes = classes;
  std::mt19937 g(seed);
  s.pixels.resize(static_cast<size_t>(num) * channels * size * size);
  for (auto& p : s.pixels) p = static_cast<uint8_t>(g() & 0xFF);
  for (int i = 0; i < num; ++i) s.labels.push_back(static_cast<int32_t>(g() % classes));
  return s;
}

std::vector<int64_t> ShuffledOrder(int64_t n, uint32_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  return order;
}

// Runs one epoch through both paths and expects equal batches; returns the
// number of batches compared.
int64_t ExpectSameEpoch(const ImageSet& set, const AugmentOptions& augment, int64_t batch_size,
                        const std::vector<int64_t>& order, uint64_t seed) {
  BatchLoaderOptions lo;
  lo.batch_size = batch_size;
  BatchLoader loader(set, augment, lo);
  DeviceImageSet device_set(set, augment, TestTorchDevice());
  DeviceBatcher batcher(device_set, augment, batch_size);
  loader.StartEpoch(order, seed);
  batcher.StartEpoch(order, seed);
  EXPECT_EQ(batcher.num_batches(), loader.num_batches());
  BatchView view;
  int64_t b = 0;
  while (loader.Next(&view)) {
    DeviceBatch got = batcher.Batch(b);
    EXPECT_EQ(got.index, view.index);
    EXPECT_EQ(got.size, view.size);
    EXPECT_EQ(got.x.device(), device_set.device());
    torch::Tensor want_x = torch::from_blob(view.data, {view.size, set.channels, set.height, set.width});
    torch::Tensor want_y = torch::from_blob(view.labels, {view.size}, torch::kInt64);
    EXPECT_TRUE(torch::equal(got.x.cpu(), want_x)) << "batch " << b << ": max |diff| "
                                                   << (got.x.cpu() - want_x).abs().max().item<float>();
    EXPECT_TRUE(torch::equal(got.y.cpu(), want_y)) << "batch " << b;
    loader.Release(view.slot);
    ++b;
  }
  return b;
}

TEST(DeviceBatchesTest, CifarAugmentationEqualsTheHostLoader) {
  ImageSet set = RandomSet(203, 3, 32, 10, 1);
  AugmentOptions augment = AugmentOptions::ForDataset("cifar10", true);
  // The plan must exercise what it is compared on: flips, and crops that
  // reach into the padding on every side.
  AugmentPlan plan = PlanEpochAugmentation(augment, set.num, 32, 9);
  EXPECT_GT(std::count(plan.flip.begin(), plan.flip.end(), 1), 50);
  EXPECT_EQ(*std::min_element(plan.top.begin(), plan.top.end()), 0);
  EXPECT_EQ(*std::max_element(plan.left.begin(), plan.left.end()), 8);
  EXPECT_EQ(ExpectSameEpoch(set, augment, 32, ShuffledOrder(set.num, 2), 9), 7);  // last batch partial (11)
  // A second epoch with another order and seed: still equal.
  EXPECT_EQ(ExpectSameEpoch(set, augment, 64, ShuffledOrder(set.num, 3), 10), 4);
}

TEST(DeviceBatchesTest, RepeatedIndicesAndOneChannelSets) {
  // Fashion-MNIST's options (1 channel, pad 2, no flip) and a sampler's
  // order with repeats.
  ImageSet set = RandomSet(50, 1, 28, 10, 4);
  std::vector<int64_t> order;
  std::mt19937 g(5);
  for (int i = 0; i < 77; ++i) order.push_back(static_cast<int64_t>(g() % 50));
  EXPECT_EQ(ExpectSameEpoch(set, AugmentOptions::ForDataset("fashion_mnist", true), 16, order, 6), 5);
  // Without augmentation both paths only normalise.
  EXPECT_EQ(ExpectSameEpoch(set, AugmentOptions::ForDataset("fashion_mnist", false), 16, order, 6), 5);
}

TEST(DeviceBatchesTest, PlainImagesEqualTheEvalBatch) {
  ImageSet set = RandomSet(40, 3, 8, 4, 7);
  AugmentOptions augment = AugmentOptions::ForDataset("synthetic", true);
  DeviceImageSet device_set(set, augment, TestTorchDevice());
  std::vector<int64_t> idx(25);
  std::iota(idx.begin(), idx.end(), 10);
  torch::Tensor want = torch::empty({25, 3, 8, 8});
  AssembleEvalBatch(set, idx.data(), 25, augment, want.data_ptr<float>());
  EXPECT_TRUE(torch::equal(device_set.Plain(10, 35).cpu(), want));
  EXPECT_EQ(device_set.labels().cpu()[12].item<int64_t>(), set.labels[12]);
}

TEST(DeviceBatchesTest, RealFashionMnistTestSetEqualsTheHostLoader) {
  const std::string root = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << root << " is absent (Debian package dataset-fashion-mnist)";
  ImageSet set;
  try {
    set = ReadFashionMnist(root, /*train=*/false);
  } catch (const CannotRunHere& e) {  // a trainer-only build without zlib
    GTEST_SKIP() << e.what();
  }
  AugmentOptions augment = AugmentOptions::ForDataset("fashion_mnist", true);
  augment.flip = true;  // cover flips on real images too
  EXPECT_EQ(ExpectSameEpoch(set, augment, 128, ShuffledOrder(set.num, 8), 11), 79);
}

TEST(DeviceBatchesTest, OutOfRangeIndexIsADataError) {
  ImageSet set = RandomSet(5, 3, 4, 2, 1);
  AugmentOptions augment = AugmentOptions::ForDataset("synthetic", true);
  DeviceImageSet device_set(set, augment, TestTorchDevice());
  DeviceBatcher batcher(device_set, augment, 2);
  EXPECT_THROW(batcher.StartEpoch({0, 5}, 1), DataError);
  EXPECT_THROW(DeviceImageSet(set, AugmentOptions::ForDataset("fashion_mnist", true), TestTorchDevice()),
               ConfigError);
}

}  // namespace
}  // namespace ltsweep::trainer
