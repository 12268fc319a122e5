#include "trainer/image/augment.h"

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/trainer/golden_util.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

// A 3 x 6 x 6 set whose pixel values encode (image, channel, y, x).
ImageSet TinySet(int num) {
  ImageSet s;
  s.num = num;
  s.channels = 3;
  s.height = 6;
  s.width = 6;
  s.num_classes = 2;
  for (int i = 0; i < num; ++i) {
    s.labels.push_back(i % 2);
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 36; ++p) s.pixels.push_back(static_cast<uint8_t>(1 + (i * 7 + c * 50 + p * 3) % 250));
    }
  }
  return s;
}

TEST(AugmentTest, PaddingValueIsNormalisedZero) {
  // golden augmentation.normalised_value_of_zero_padding
  const double expected[] = {-2.4290657439446366, -2.418254764292879, -2.2213930348258706};
  AugmentOptions o = AugmentOptions::ForDataset("cifar10", true);
  ImageSet s = TinySet(1);
  std::vector<float> out(3 * 36);
  AugmentOne(s.image(0), 3, 6, 6, o, /*top=*/0, /*left=*/0, /*flip=*/false, out.data());
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(out[c * 36], expected[c], 1e-6) << c;
  // Row 4, column 4 of the crop is the image's pixel (0, 0).
  for (int c = 0; c < 3; ++c) {
    float v = (static_cast<float>(s.image(0)[c * 36]) / 255.0f - o.mean[c]) / o.std[c];
    EXPECT_EQ(out[c * 36 + 4 * 6 + 4], v);
  }
}

TEST(AugmentTest, GoldenConstants) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["augmentation"];
  AugmentOptions o = AugmentOptions::ForDataset("cifar100", true);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(o.mean[c], static_cast<float>(g["mean"][c].get<double>()));
    EXPECT_EQ(o.std[c], static_cast<float>(g["std"][c].get<double>()));
    float pad = (0.0f - o.mean[c]) / o.std[c];
    EXPECT_NEAR(pad, g["normalised_value_of_zero_padding"][c].get<double>(), 1e-6);
  }
}

TEST(AugmentTest, CentredCropIsEvalAndFlipMirrors) {
  AugmentOptions o = AugmentOptions::ForDataset("cifar10", true);
  ImageSet s = TinySet(2);
  int64_t idx = 1;
  std::vector<float> eval(108), centred(108), flipped(108);
  AssembleEvalBatch(s, &idx, 1, o, eval.data());
  AugmentOne(s.image(1), 3, 6, 6, o, 4, 4, false, centred.data());
  AugmentOne(s.image(1), 3, 6, 6, o, 4, 4, true, flipped.data());
  EXPECT_EQ(centred, eval);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 6; ++y) {
      for (int x = 0; x < 6; ++x) EXPECT_EQ(flipped[c * 36 + y * 6 + x], eval[c * 36 + y * 6 + 5 - x]);
    }
  }
  // Shift: top 5 moves the image up one row; the last row is padding.
  std::vector<float> up(108);
  AugmentOne(s.image(1), 3, 6, 6, o, 5, 4, false, up.data());
  EXPECT_EQ(up[0 * 6 + 2], eval[1 * 6 + 2]);
  EXPECT_EQ(up[5 * 6 + 2], (0.0f - o.mean[0]) / o.std[0]);
}

TEST(AugmentTest, TrainBatchIsSeededAndCoversAllCrops) {
  AugmentOptions o = AugmentOptions::ForDataset("cifar10", true);
  ImageSet s = TinySet(1);
  const int n = 400;
  std::vector<int64_t> idx(n, 0);
  std::vector<float> a(n * 108), b(n * 108), c(n * 108);
  AssembleTrainBatch(s, idx.data(), n, o, 123, a.data());
  AssembleTrainBatch(s, idx.data(), n, o, 123, b.data());
  AssembleTrainBatch(s, idx.data(), n, o, 124, c.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Every output is one of the 9 x 9 x 2 possible augmentations; count which.
  std::vector<std::vector<float>> variants;
  for (int top = 0; top <= 8; ++top) {
    for (int left = 0; left <= 8; ++left) {
      for (bool flip : {false, true}) {
        std::vector<float> v(108);
        AugmentOne(s.image(0), 3, 6, 6, o, top, left, flip, v.data());
        variants.push_back(v);
      }
    }
  }
  std::set<int> seen_tops, seen_flips;
  for (int i = 0; i < n; ++i) {
    std::vector<float> out(a.begin() + i * 108, a.begin() + (i + 1) * 108);
    bool found = false;
    for (size_t k = 0; k < variants.size() && !found; ++k) {
      if (variants[k] == out) {
        found = true;
        seen_tops.insert(static_cast<int>(k / 18));
        seen_flips.insert(static_cast<int>(k % 2));
      }
    }
    EXPECT_TRUE(found) << i;
  }
  EXPECT_EQ(seen_tops.size(), 9u);
  EXPECT_EQ(seen_flips.size(), 2u);
}

TEST(AugmentTest, FashionMnistAndNoAugment) {
  AugmentOptions f = AugmentOptions::ForDataset("fashion_mnist", true);
  EXPECT_EQ(f.pad, 2);
  EXPECT_FALSE(f.flip);
  ASSERT_EQ(f.mean.size(), 1u);
  AugmentOptions off = AugmentOptions::ForDataset("cifar10", false);
  ImageSet s = TinySet(3);
  std::vector<int64_t> idx = {2, 0};
  std::vector<float> train(216), eval(216);
  AssembleTrainBatch(s, idx.data(), 2, off, 9, train.data());
  AssembleEvalBatch(s, idx.data(), 2, off, eval.data());
  EXPECT_EQ(train, eval);
  EXPECT_THROW(AugmentOptions::ForDataset("imdb", true), ConfigError);
  int64_t bad = 3;
  EXPECT_THROW(AssembleEvalBatch(s, &bad, 1, off, eval.data()), DataError);
  EXPECT_THROW(AssembleEvalBatch(s, idx.data(), 1, f, eval.data()), ConfigError);  // 1 channel options, 3 channels
}

TEST(AugmentTest, FlipKeyOverridesTheDataSetDefault) {
  // auto keeps each data set's default: CIFAR flips (the reference), Fashion-MNIST does not.
  for (const auto& [dataset, flips] : std::vector<std::pair<std::string, bool>>{
           {"cifar10", true}, {"cifar100", true}, {"fashion_mnist", false}, {"synthetic", false}}) {
    AugmentOptions o = AugmentOptions::ForDataset(dataset, true);
    ApplyFlipKey("auto", o);
    EXPECT_EQ(o.flip, flips) << dataset;
    ApplyFlipKey("on", o);
    EXPECT_TRUE(o.flip) << dataset;
    ApplyFlipKey("off", o);
    EXPECT_FALSE(o.flip) << dataset;
  }
  EXPECT_THROW(ApplyFlipKey("yes", *std::make_unique<AugmentOptions>()), ConfigError);

  // The flip reaches the batches: same seed, only the flip setting differs.
  AugmentOptions off = AugmentOptions::ForDataset("synthetic", true);
  AugmentOptions on = off;
  ApplyFlipKey("on", on);
  ImageSet s = TinySet(8);
  std::vector<int64_t> idx = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<float> a(8 * 108), b(8 * 108);
  AssembleTrainBatch(s, idx.data(), 8, off, 11, a.data());
  AssembleTrainBatch(s, idx.data(), 8, on, 11, b.data());
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace ltsweep::trainer
