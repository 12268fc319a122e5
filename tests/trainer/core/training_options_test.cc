#include "trainer/core/training_options.h"

#include <string>

#include <gtest/gtest.h>

#include "common/config_schema.h"
#include "trainer/core/errors.h"
#include "trainer/core/lr_schedule.h"

namespace ltsweep::trainer {
namespace {

TEST(TrainingOptionsTest, DefaultsAreTheSchemas) {
  TrainingOptions d;
  TrainingOptions r = TrainingOptions::FromConfig(DefaultTrialConfig());
  EXPECT_EQ(d.loss.kind, r.loss.kind);
  EXPECT_EQ(d.loss.focal_gamma, r.loss.focal_gamma);
  EXPECT_EQ(d.loss.ldam_max_m, r.loss.ldam_max_m);
  EXPECT_EQ(d.loss.ldam_s, r.loss.ldam_s);
  EXPECT_EQ(d.optimizer.kind, r.optimizer.kind);
  EXPECT_EQ(d.optimizer.lr, r.optimizer.lr);
  EXPECT_EQ(d.optimizer.momentum, r.optimizer.momentum);
  EXPECT_EQ(d.optimizer.weight_decay, r.optimizer.weight_decay);
  EXPECT_EQ(d.head, r.head);
  EXPECT_EQ(d.balance.reweight, r.balance.reweight);
  EXPECT_EQ(d.balance.resample, r.balance.resample);
  EXPECT_EQ(d.balance.defer, r.balance.defer);
  EXPECT_EQ(d.balance.drw_epoch, r.balance.drw_epoch);
  EXPECT_EQ(d.balance.cb_beta, r.balance.cb_beta);
  // The values the schema documents (common/config_schema.cc).
  EXPECT_EQ(d.balance.drw_epoch, 160);
  EXPECT_EQ(d.balance.cb_beta, 0.9999);
  EXPECT_EQ(d.loss.ldam_s, 30.0);
  EXPECT_EQ(d.optimizer.kind, OptimizerKind::kSgd);
  EXPECT_EQ(LrScheduleOptions{}.milestones, (std::vector<int>{160, 180}));
  EXPECT_THROW(SchemaDefault<int>("method.no_such_key"), std::logic_error);
}

TEST(TrainingOptionsTest, FromResolvedConfig) {
  auto resolved = ResolveTrialConfig(nlohmann::json::parse(R"({
      "method": {"loss": "focal", "focal_gamma": 2, "reweight": "cb", "defer": "drw", "drw_epoch": 3},
      "model": {"head": "normed"},
      "train": {"epochs": 5, "optimizer": "adam", "lr": 0.01, "weight_decay": 0}})"));
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  TrainingOptions o = TrainingOptions::FromConfig(*resolved);
  EXPECT_EQ(o.loss.kind, LossKind::kFocal);
  EXPECT_EQ(o.loss.focal_gamma, 2.0);
  EXPECT_TRUE(o.loss.class_counts.empty());
  EXPECT_EQ(o.optimizer.kind, OptimizerKind::kAdam);
  EXPECT_EQ(o.optimizer.lr, 0.01);
  EXPECT_EQ(o.optimizer.weight_decay, 0.0);
  EXPECT_EQ(o.head, HeadKind::kNormed);
  EXPECT_TRUE(o.normed_head());
  EXPECT_EQ(o.balance.reweight, BalanceKind::kCb);
  EXPECT_EQ(o.balance.defer, "drw");
  EXPECT_EQ(o.balance.drw_epoch, 3);
}

TEST(TrainingOptionsTest, UnresolvedConfigNamesTheMissingKey) {
  try {
    TrainingOptions::FromConfig(nlohmann::json::object());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "method.loss: missing");
  }
}

TEST(TrainingOptionsTest, HeadRuleAutoIsNormedForLdam) {
  EXPECT_TRUE(UseNormedHead(HeadKind::kAuto, LossKind::kLdam));
  EXPECT_FALSE(UseNormedHead(HeadKind::kAuto, LossKind::kCrossEntropy));
  EXPECT_FALSE(UseNormedHead(HeadKind::kAuto, LossKind::kFocal));
  EXPECT_TRUE(UseNormedHead(HeadKind::kNormed, LossKind::kCrossEntropy));
  EXPECT_FALSE(UseNormedHead(HeadKind::kLinear, LossKind::kLdam));
}

TEST(TrainingOptionsTest, ParsersNameTheKey) {
  EXPECT_EQ(ParseLossKind("ldam"), LossKind::kLdam);
  EXPECT_EQ(ParseOptimizerKind("sgd"), OptimizerKind::kSgd);
  EXPECT_EQ(ParseHeadKind("linear"), HeadKind::kLinear);
  EXPECT_THROW(ParseLossKind("hinge"), ConfigError);
  EXPECT_THROW(ParseOptimizerKind("rmsprop"), ConfigError);
  EXPECT_THROW(ParseHeadKind("mlp"), ConfigError);
}

}  // namespace
}  // namespace ltsweep::trainer
