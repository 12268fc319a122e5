// The staged sweep's two rules (search/stage_rules.h) on made-up curves:
// clean, noisy and signal-free.
#include "search/stage_rules.h"

#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace ltsweep::search {
namespace {

// A range test over lr in [1e-3, 1] linear in `n` epochs: accuracy 0.1 until
// lr 0.05, rising to 0.8 at lr 0.4, then collapsing past lr 0.7.
std::vector<RangePoint> RangeCurve(int n, double noise) {
  std::vector<RangePoint> out;
  for (int e = 0; e < n; ++e) {
    const double lr = 1e-3 + (1.0 - 1e-3) * (e + 1) / n;
    double acc = 0.1;
    if (lr > 0.05) acc = 0.1 + 0.7 * std::min(1.0, (lr - 0.05) / 0.35);
    if (lr > 0.7) acc = std::max(0.1, 0.8 - 2.0 * (lr - 0.7));
    acc += noise * ((e * 7919) % 13 - 6) / 6.0;  // deterministic +-noise
    out.push_back({e, lr, acc, 1.0 - acc});
  }
  return out;
}

TEST(LrBoundsTest, CleanCurveFindsRiseAndFall) {
  auto points = RangeCurve(40, 0);
  auto b = FindLrBounds(points);
  ASSERT_TRUE(b.ok()) << b.status().message();
  // Rise starts just above lr 0.05; the accuracy falls apart past 0.7.
  EXPECT_GT(b->min_lr, 0.05);
  EXPECT_LT(b->min_lr, 0.15);
  EXPECT_GT(b->max_lr, 0.6);
  EXPECT_LT(b->max_lr, 0.8);
  EXPECT_TRUE(b->fell);
  EXPECT_NE(b->rule.find("peak"), std::string::npos);
  Json ev = LrBoundsEvidence(*b, points);
  EXPECT_EQ(ev["curve"].size(), 40u);
}

TEST(LrBoundsTest, NoisyCurveStaysNearTheCleanAnswer) {
  auto clean = FindLrBounds(RangeCurve(40, 0));
  auto noisy = FindLrBounds(RangeCurve(40, 0.03));
  ASSERT_TRUE(clean.ok());
  ASSERT_TRUE(noisy.ok()) << noisy.status().message();
  EXPECT_NEAR(noisy->min_lr, clean->min_lr, 0.08);
  EXPECT_NEAR(noisy->max_lr, clean->max_lr, 0.1);
  // Without smoothing a single noisy dip ends the range early.
  LrBoundsOptions raw;
  raw.smooth = 1;
  auto unsmoothed = FindLrBounds(RangeCurve(40, 0.03), raw);
  ASSERT_TRUE(unsmoothed.ok());
  EXPECT_LE(unsmoothed->max_lr, noisy->max_lr);
}

// A per-step range test: `n` steps, lr linear in [1e-3, 1]; the true
// accuracy as in RangeCurve, each step's the share of a batch of 128 that a
// seeded draw gets right (binomial noise, sd ~0.04 at 0.5).
std::vector<RangePoint> StepCurve(int n, uint32_t seed, bool signal = true) {
  std::mt19937 rng(seed);
  std::vector<RangePoint> out;
  for (int i = 0; i < n; ++i) {
    const double lr = 1e-3 + (1.0 - 1e-3) * i / (n - 1);
    double acc = 0.1;
    if (signal && lr > 0.05) acc = 0.1 + 0.7 * std::min(1.0, (lr - 0.05) / 0.35);
    if (signal && lr > 0.7) acc = std::max(0.1, 0.8 - 2.0 * (lr - 0.7));
    std::binomial_distribution<int> batch(128, acc);
    out.push_back({i, lr, batch(rng) / 128.0, 2.3});
  }
  return out;
}

TEST(LrBoundsPerStepTest, WindowGrowsWithTheCurve) {
  EXPECT_EQ(PerStepSmoothWindow(10), 3);
  EXPECT_EQ(PerStepSmoothWindow(240), 13);
  EXPECT_EQ(PerStepSmoothWindow(1000), 51);
}

TEST(LrBoundsPerStepTest, ASmoothTheSpecSetsIsTheWindowOnEitherCurve) {
  LrBoundsOptions set;
  set.smooth = 31;
  auto steps = FindLrBoundsPerStep(StepCurve(240, 1), set);
  ASSERT_TRUE(steps.ok()) << steps.status().message();
  EXPECT_EQ(steps->smooth, 31);
  auto epochs = FindLrBounds(RangeCurve(40, 0.0), set);
  ASSERT_TRUE(epochs.ok()) << epochs.status().message();
  EXPECT_EQ(epochs->smooth, 31);
  auto automatic = FindLrBounds(RangeCurve(40, 0.0));
  ASSERT_TRUE(automatic.ok()) << automatic.status().message();
  EXPECT_EQ(automatic->smooth, 3);
}

TEST(LrBoundsPerStepTest, NoisyStepsFindTheRiseAndTheFall) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    auto steps = StepCurve(240, seed);
    auto b = FindLrBoundsPerStep(steps);
    ASSERT_TRUE(b.ok()) << b.status().message();
    EXPECT_EQ(b->curve, "per_step");
    EXPECT_EQ(b->smooth, 13);
    EXPECT_GT(b->min_lr, 0.05) << seed;
    EXPECT_LT(b->min_lr, 0.15) << seed;
    EXPECT_GT(b->max_lr, 0.6) << seed;
    EXPECT_LT(b->max_lr, 0.8) << seed;
    EXPECT_TRUE(b->fell);
    EXPECT_NE(b->rule.find("per-step"), std::string::npos) << b->rule;
    Json ev = LrBoundsEvidence(*b, steps);
    EXPECT_EQ(ev["curve_kind"], "per_step");
    EXPECT_EQ(ev["smooth"], 13);
    EXPECT_EQ(ev["curve"].size(), 240u);
  }
}

TEST(LrBoundsPerStepTest, TheEpochWindowOnStepsStopsAtNoise) {
  // The per-epoch window (3) on the same noisy steps: a single noisy dip
  // ends the range well before the true fall, which the per-step window
  // does not.
  auto steps = StepCurve(240, 1);
  auto per_step = FindLrBoundsPerStep(steps);
  auto epoch_window = FindLrBounds(steps);
  ASSERT_TRUE(per_step.ok());
  ASSERT_TRUE(epoch_window.ok());
  EXPECT_LT(epoch_window->max_lr, per_step->max_lr);
}

TEST(LrBoundsPerStepTest, NoSignalInNoisyStepsIsNoSignal) {
  auto b = FindLrBoundsPerStep(StepCurve(240, 4, /*signal=*/false));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(b.status().message().find("no signal"), std::string::npos) << b.status().message();
  EXPECT_NE(b.status().message().find("per-step"), std::string::npos) << b.status().message();
}

TEST(LrBoundsPerStepTest, TooFewStepsIsAnError) {
  auto b = FindLrBoundsPerStep(StepCurve(2, 1));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("per-step curve has 2"), std::string::npos) << b.status().message();
}

TEST(LrBoundsTest, NoRiseIsNoSignal) {
  std::vector<RangePoint> flat;
  for (int e = 0; e < 20; ++e) flat.push_back({e, 0.01 * (e + 1), 0.1 + 0.005 * ((e % 3) - 1), 2.3});
  auto b = FindLrBounds(flat);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(b.status().message().find("no signal"), std::string::npos);
}

TEST(LrBoundsTest, TooFewPointsAndDivergenceCountAsZero) {
  EXPECT_FALSE(FindLrBounds({{0, 0.1, 0.5, 1}, {1, 0.2, 0.6, 1}}).ok());
  // Accuracy still rising at the end: max_lr is the last lr, fell is false.
  std::vector<RangePoint> rising;
  for (int e = 0; e < 10; ++e) rising.push_back({e, 0.1 * (e + 1), 0.1 + 0.08 * e, 1});
  auto b = FindLrBounds(rising);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->fell);
  EXPECT_DOUBLE_EQ(b->max_lr, 1.0);
  // A NaN accuracy (diverged) reads as 0: the range ends before it.
  rising[8].accuracy = std::numeric_limits<double>::quiet_NaN();
  rising[9].accuracy = std::numeric_limits<double>::quiet_NaN();
  auto d = FindLrBounds(rising);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->fell);
  EXPECT_LT(d->max_lr, 0.85);
}

// val_error falls until `knee`, then flat (+noise); train_loss keeps falling.
std::vector<CurvePoint> PlateauCurve(int n, int knee, double noise, bool loss_falls = true) {
  std::vector<CurvePoint> out;
  for (int e = 0; e < n; ++e) {
    double v = e <= knee ? 0.6 - 0.05 * e : 0.6 - 0.05 * knee + 0.002 * (e - knee);
    v += noise * ((e * 31) % 5 - 2) / 2.0;
    const double loss = loss_falls ? 2.0 * std::exp(-0.15 * e) : 0.5;
    out.push_back({e, loss, v});
  }
  return out;
}

TEST(PlateauTest, CleanKneeGivesDrwEpochAndMilestones) {
  auto p = FindPlateau(PlateauCurve(20, 8, 0), 20);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->last_improving_epoch, 8);
  EXPECT_EQ(p->drw_epoch, 9);
  ASSERT_EQ(p->milestones.size(), 2u);
  EXPECT_EQ(p->milestones[0], 9);
  EXPECT_EQ(p->milestones[1], 9 + 6);  // halfway from 9 to 20, rounded up
  EXPECT_GT(p->train_loss_at, p->train_loss_window);
  Json v = PlateauValues(*p);
  EXPECT_EQ(v["drw_epoch"], 9);
}

TEST(PlateauTest, NoiseBelowMinDeltaDoesNotMoveTheKnee) {
  auto p = FindPlateau(PlateauCurve(20, 8, 0.002), 20);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_NEAR(p->drw_epoch, 9, 1);
  // A window of 1 is fooled earlier by a pause in the descent.
  std::vector<CurvePoint> pause = PlateauCurve(20, 8, 0);
  pause[4].val_error = pause[3].val_error;  // one flat epoch on the way down
  PlateauOptions one;
  one.window = 1;
  auto early = FindPlateau(pause, 20, one);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->drw_epoch, 4);
  auto wide = FindPlateau(pause, 20);
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->drw_epoch, 9);
}

TEST(PlateauTest, NoSignalCases) {
  // Still improving at the end.
  std::vector<CurvePoint> falling;
  for (int e = 0; e < 12; ++e) falling.push_back({e, 2.0 - 0.1 * e, 0.6 - 0.04 * e});
  auto a = FindPlateau(falling, 12);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("no epoch"), std::string::npos);
  // Validation flat but the training loss no longer falls either: not the
  // report's plateau (an lr too low or a model that cannot fit).
  auto b = FindPlateau(PlateauCurve(20, 8, 0, /*loss_falls=*/false), 20);
  EXPECT_FALSE(b.ok());
  // Too short for the window.
  EXPECT_FALSE(FindPlateau(PlateauCurve(3, 1, 0), 3).ok());
}

TEST(PlateauTest, SecondMilestoneLeftOutAtTheEnd) {
  auto p = FindPlateau(PlateauCurve(12, 7, 0), 9);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->drw_epoch, 8);
  EXPECT_EQ(p->milestones, std::vector<int>({8}));
}

}  // namespace
}  // namespace ltsweep::search
