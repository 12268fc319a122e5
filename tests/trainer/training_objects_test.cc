#include "trainer/training_objects.h"

#include <vector>

#include <gtest/gtest.h>

#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

std::vector<torch::Tensor> Parameters() { return {torch::zeros({3}, torch::requires_grad())}; }

TEST(TrainingObjectsTest, MakeOptimizerSgdAndAdam) {
  OptimizerOptions o;
  o.kind = OptimizerKind::kSgd;
  o.lr = 0.05;
  o.momentum = 0.8;
  o.weight_decay = 1e-3;
  auto sgd = MakeOptimizer(o, Parameters());
  auto* s = dynamic_cast<torch::optim::SGD*>(sgd.get());
  ASSERT_NE(s, nullptr);
  const auto& so = static_cast<const torch::optim::SGDOptions&>(s->param_groups()[0].options());
  EXPECT_EQ(so.lr(), 0.05);
  EXPECT_EQ(so.momentum(), 0.8);
  EXPECT_EQ(so.weight_decay(), 1e-3);

  o.kind = OptimizerKind::kAdam;
  auto adam = MakeOptimizer(o, Parameters());
  auto* a = dynamic_cast<torch::optim::Adam*>(adam.get());
  ASSERT_NE(a, nullptr);
  const auto& ao = static_cast<const torch::optim::AdamOptions&>(a->param_groups()[0].options());
  EXPECT_EQ(ao.lr(), 0.05);
  EXPECT_EQ(ao.weight_decay(), 1e-3);
}

TEST(TrainingObjectsTest, MakeLossTakesTheTrainingCounts) {
  LossOptions o;
  o.kind = LossKind::kLdam;
  Loss loss = MakeLoss(o, {100, 10});
  EXPECT_EQ(loss.options().class_counts, (std::vector<int64_t>{100, 10}));
  EXPECT_TRUE(o.class_counts.empty());  // the options are not changed
  EXPECT_THROW(MakeLoss(o, {100, 0}), ConfigError);
}

TEST(TrainingObjectsTest, ApplyEpochClassWeightsSetsAndClears) {
  Loss loss = MakeLoss(LossOptions{}, {5, 1});
  EpochBalance on;
  on.class_weights = std::vector<float>{0.5f, 1.5f};
  ApplyEpochClassWeights(on, loss);
  EXPECT_EQ(loss.class_weights(), (std::vector<double>{0.5, 1.5}));
  ApplyEpochClassWeights(EpochBalance{}, loss);
  EXPECT_TRUE(loss.class_weights().empty());
}

}  // namespace
}  // namespace ltsweep::trainer
