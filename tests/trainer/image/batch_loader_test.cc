// BatchLoader: batches in order, the last partial batch kept, labels and
// pixels from the right images, augmentation a function of (order, seed) only.
#include "trainer/image/batch_loader.h"

#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace ltsweep::trainer {
namespace {

ImageSet SmallSet() {
  SyntheticOptions o;
  o.num_classes = 3;
  o.train_per_class = 7;
  o.image_size = 6;
  return MakeSyntheticImages(o, /*train=*/true);
}

std::vector<std::vector<float>> Collect(BatchLoader& loader, const std::vector<int64_t>& order, uint64_t seed,
                                        std::vector<int64_t>* labels, std::vector<int64_t>* sizes) {
  std::vector<std::vector<float>> out;
  loader.StartEpoch(order, seed);
  BatchView b;
  int64_t expect_index = 0;
  while (loader.Next(&b)) {
    EXPECT_EQ(b.index, expect_index++);
    out.emplace_back(b.data, b.data + b.size * 3 * 6 * 6);
    labels->insert(labels->end(), b.labels, b.labels + b.size);
    sizes->push_back(b.size);
    loader.Release(b.slot);
  }
  return out;
}

TEST(BatchLoaderTest, BatchesFollowTheOrderAndKeepTheLastPartialBatch) {
  ImageSet set = SmallSet();
  ASSERT_EQ(set.num, 21);
  BatchLoaderOptions options;
  options.batch_size = 4;
  BatchLoader loader(set, AugmentOptions::ForDataset("synthetic", true), options);
  std::vector<int64_t> order(static_cast<size_t>(set.num));
  std::iota(order.rbegin(), order.rend(), 0);  // reversed
  std::vector<int64_t> labels, sizes;
  auto a = Collect(loader, order, 5, &labels, &sizes);
  EXPECT_EQ(loader.num_batches(), 6);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 4, 4, 4, 1}));
  ASSERT_EQ(labels.size(), order.size());
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(labels[i], set.labels[static_cast<size_t>(order[i])]);

  // Same order and seed: identical floats (whatever the thread timing); another
  // seed: different augmentation.
  std::vector<int64_t> l2, s2, l3, s3;
  EXPECT_EQ(Collect(loader, order, 5, &l2, &s2), a);
  EXPECT_NE(Collect(loader, order, 6, &l3, &s3), a);

  // Each batch equals AssembleTrainBatch on its indices with BatchSeed.
  std::vector<float> want(4 * 3 * 6 * 6);
  AssembleTrainBatch(set, order.data() + 4, 4, AugmentOptions::ForDataset("synthetic", true), BatchSeed(5, 1),
                     want.data());
  EXPECT_EQ(a[1], want);
}

TEST(BatchLoaderTest, StopMidEpochAndRestart) {
  ImageSet set = SmallSet();
  BatchLoaderOptions options;
  options.batch_size = 2;
  options.num_buffers = 2;
  BatchLoader loader(set, AugmentOptions::ForDataset("synthetic", false), options);
  std::vector<int64_t> order(static_cast<size_t>(set.num));
  std::iota(order.begin(), order.end(), 0);
  loader.StartEpoch(order, 1);
  BatchView b;
  ASSERT_TRUE(loader.Next(&b));
  loader.Release(b.slot);
  loader.Stop();  // the producer is blocked on the full ring: must not hang
  std::vector<int64_t> labels, sizes;
  Collect(loader, order, 1, &labels, &sizes);
  EXPECT_EQ(labels.size(), order.size());
}

}  // namespace
}  // namespace ltsweep::trainer
