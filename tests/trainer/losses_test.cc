// Golden tests of the criteria (../shared/reference/golden.json ldam, focal,
// ce_cb_weighted; values copied as literals), in float64 and float32.
#include "trainer/losses.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace ltsweep::trainer {
namespace {

const double kLogits[6][4] = {{0.62, -0.15, 0.08, -0.43}, {0.1, 0.55, -0.32, 0.27},  {-0.48, 0.21, 0.74, -0.05},
                              {0.33, -0.61, 0.12, 0.49},  {-0.2, 0.05, -0.71, 0.36}, {0.9, -0.25, 0.4, -0.8}};
const std::vector<int64_t> kTargets = {0, 1, 2, 3, 1, 2};
const std::vector<int64_t> kCounts = {500, 200, 50, 10};
// CB weights, beta 0.9999, normalised to sum 4.
const std::vector<double> kCbWeights = {0.06447826478466456, 0.1588095483872366, 0.6305013445967308,
                                        3.1462108422313677};

torch::Tensor Logits(torch::Dtype dtype) {
  return torch::from_blob(const_cast<double*>(&kLogits[0][0]), {6, 4}, torch::kFloat64).to(dtype);
}
torch::Tensor Targets() { return torch::tensor(kTargets, torch::kInt64); }

double Eval(Loss& loss, torch::Dtype dtype) {
  torch::Tensor out = loss(Logits(dtype), Targets());
  EXPECT_EQ(out.scalar_type(), dtype);
  return out.item<double>();
}

LossOptions Options(LossKind kind) {
  LossOptions o;
  o.kind = kind;
  o.class_counts = kCounts;
  return o;
}

TEST(LossesTest, LdamMargins) {
  std::vector<double> m = LdamMargins(kCounts, 0.5);
  const double want[] = {0.18803015465431966, 0.2364354022507939, 0.334370152488211, 0.5};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(m[j], want[j], 1e-15);
  // CIFAR-10 exp rho 100 counts.
  std::vector<double> c10 = LdamMargins({5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50}, 0.5);
  const double want10[] = {0.15811388300841897, 0.17969699708724132, 0.20423770530101681, 0.2320911495481279,
                           0.26382902758929516, 0.29976765058324534, 0.34067519187733264, 0.3872209136604282,
                           0.44049702771594634, 0.5};
  for (int j = 0; j < 10; ++j) EXPECT_NEAR(c10[j], want10[j], 1e-15);
  EXPECT_THROW(LdamMargins({10, 0}, 0.5), std::exception);
}

TEST(LossesTest, LdamGolden) {
  LossOptions o = Options(LossKind::kLdam);
  o.ldam_max_m = 0.5;
  o.ldam_s = 30;
  Loss loss(o);
  EXPECT_NEAR(Eval(loss, torch::kFloat64), 8.644952006493698, 1e-12);
  EXPECT_NEAR(Eval(loss, torch::kFloat32), 8.644952774047852, 2e-6);
  loss.SetClassWeights(kCbWeights);
  EXPECT_NEAR(Eval(loss, torch::kFloat64), 10.549072161978822, 1e-12);
  EXPECT_NEAR(Eval(loss, torch::kFloat32), 10.549072265625, 2e-6);
  // Back to unweighted (DRW stage 1 again).
  loss.SetClassWeights({});
  EXPECT_NEAR(Eval(loss, torch::kFloat64), 8.644952006493698, 1e-12);
}

TEST(LossesTest, LdamMarginOnlyOnTrueLogitAndGradientFlows) {
  Loss loss(Options(LossKind::kLdam));
  torch::Tensor z = Logits(torch::kFloat64).requires_grad_(true);
  loss(z, Targets()).backward();
  ASSERT_TRUE(z.grad().defined());
  // d loss / d z sums to zero per row (softmax), and is non-zero.
  EXPECT_NEAR(z.grad().sum(1).abs().max().item<double>(), 0.0, 1e-12);
  EXPECT_GT(z.grad().abs().sum().item<double>(), 0.0);
}

struct FocalCase {
  double gamma;
  bool weighted;
  double loss;
  double loss_f32;
};

TEST(LossesTest, FocalGolden) {
  const FocalCase cases[] = {
      {0.0, false, 1.0569283432794785, 1.056928277015686}, {0.0, true, 0.8446639765458769, 0.8446639180183411},
      {1.0, false, 0.6940902570275144, 0.6940901875495911}, {1.0, true, 0.6529848797229338, 0.6529848575592041},
      {2.0, false, 0.45922570829839243, 0.4592256546020508}, {2.0, true, 0.5705271093584797, 0.5705270171165466},
  };
  for (const auto& c : cases) {
    LossOptions o = Options(LossKind::kFocal);
    o.focal_gamma = c.gamma;
    Loss loss(o);
    if (c.weighted) loss.SetClassWeights(kCbWeights);
    EXPECT_NEAR(Eval(loss, torch::kFloat64), c.loss, 1e-12) << c.gamma << " " << c.weighted;
    EXPECT_NEAR(Eval(loss, torch::kFloat32), c.loss_f32, 1e-6) << c.gamma << " " << c.weighted;
  }
}

TEST(LossesTest, WeightedCrossEntropyGolden) {
  struct Case {
    std::vector<double> weight;
    double loss, loss_f32;
  };
  const Case cases[] = {
      {{1.0, 1.0, 1.0, 1.0}, 1.0569283432794787, 1.056928277015686},
      {kCbWeights, 1.058186443210344, 1.058186411857605},
      {{0.07877584489944231, 0.1709822500710972, 0.6354796679006238, 3.1147622371288364}, 1.0581364258082342,
       1.0581363439559937},
  };
  for (const auto& c : cases) {
    Loss loss(Options(LossKind::kCrossEntropy));
    loss.SetClassWeights(c.weight);
    EXPECT_NEAR(Eval(loss, torch::kFloat64), c.loss, 1e-12);
    EXPECT_NEAR(Eval(loss, torch::kFloat32), c.loss_f32, 1e-6);
  }
  Loss plain(Options(LossKind::kCrossEntropy));
  EXPECT_NEAR(Eval(plain, torch::kFloat64), 1.0569283432794785, 1e-12);
}

TEST(LossesTest, ParseLossKind) {
  EXPECT_EQ(ParseLossKind("ce"), LossKind::kCrossEntropy);
  EXPECT_EQ(ParseLossKind("focal"), LossKind::kFocal);
  EXPECT_EQ(ParseLossKind("ldam"), LossKind::kLdam);
  EXPECT_THROW(ParseLossKind("hinge"), std::exception);
}

}  // namespace
}  // namespace ltsweep::trainer
