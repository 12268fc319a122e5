// The early-termination rules (search/early_stop.h) on fixed curves.
#include "search/early_stop.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"

namespace ltsweep::search {
namespace {

EarlyStopRule Hyperband(int64_t min_iter, double eta, int64_t max_iter) {
  EarlyStopRule r;
  r.type = EarlyStopType::kHyperband;
  r.min_iter = min_iter;
  r.eta = eta;
  r.max_iter = max_iter;
  return r;
}

EarlyStopRule MedianRule(int64_t min_iter, int64_t max_iter) {
  EarlyStopRule r;
  r.type = EarlyStopType::kMedian;
  r.min_iter = min_iter;
  r.max_iter = max_iter;
  return r;
}

// A curve with values at epoch indices 0, 1, ... in order.
TrialCurve Curve(int64_t id, std::vector<double> values) {
  TrialCurve c;
  c.trial_id = id;
  for (size_t e = 0; e < values.size(); ++e) c.values[static_cast<int64_t>(e)] = values[e];
  return c;
}

TEST(RungsTest, FromMinIterBelowMaxIter) {
  EXPECT_EQ(Rungs(Hyperband(1, 3, 30)), (std::vector<int64_t>{1, 3, 9, 27}));
  EXPECT_EQ(Rungs(Hyperband(3, 3, 27)), (std::vector<int64_t>{3, 9}));  // 27 = max_iter: nothing to save
  EXPECT_EQ(Rungs(Hyperband(2, 1.5, 10)), (std::vector<int64_t>{2, 3, 4, 6}));
  EXPECT_EQ(Rungs(Hyperband(2, 2, 20)), (std::vector<int64_t>{2, 4, 8, 16}));
}

TEST(RungsTest, FromMaxIterAndS) {
  EarlyStopRule r = Hyperband(0, 3, 27);
  r.s = 2;
  EXPECT_EQ(Rungs(r), (std::vector<int64_t>{3, 9}));
  r.s = 5;  // 27/81 < 1: stops at 1 epoch
  EXPECT_EQ(Rungs(r), (std::vector<int64_t>{1, 3, 9}));
  EXPECT_TRUE(Rungs(MedianRule(3, 10)).empty());
}

TEST(ValidateRuleTest, NamesTheKeyAtFault) {
  EXPECT_OK(ValidateRule(Hyperband(3, 3, 30)));
  Status st = ValidateRule(Hyperband(3, 1, 30));
  EXPECT_NE(st.message().find("early_terminate.eta"), std::string::npos) << st.ToString();
  st = ValidateRule(Hyperband(30, 3, 30));
  EXPECT_NE(st.message().find("early_terminate.min_iter: 30 is not below max_iter (30)"), std::string::npos)
      << st.ToString();
  st = ValidateRule(Hyperband(0, 3, 30));  // neither min_iter nor s
  EXPECT_NE(st.message().find("early_terminate.s"), std::string::npos) << st.ToString();
  EarlyStopRule tiny = Hyperband(0, 3, 2);
  tiny.s = 1;
  st = ValidateRule(tiny);
  EXPECT_NE(st.message().find("no rung"), std::string::npos) << st.ToString();
  st = ValidateRule(MedianRule(0, 10));
  EXPECT_NE(st.message().find("early_terminate.min_iter"), std::string::npos) << st.ToString();
  EarlyStopRule grace = MedianRule(2, 10);
  grace.drw_grace = -1;
  EXPECT_EQ(ValidateRule(grace).code(), StatusCode::kInvalidArgument);
}

// ASHA is asynchronous: each arrival at a rung is judged against those
// that reached it before; the first always carries on.
TEST(HyperbandTest, JudgesEachArrivalAgainstThoseBefore) {
  const EarlyStopRule rule = Hyperband(1, 3, 10);  // rungs 1, 3, 9
  std::vector<TrialCurve> seen;
  auto arrive = [&](int64_t id, double v) {
    TrialCurve c = Curve(id, {v});
    Decision d = Decide(rule, c, 0, seen);
    seen.push_back(c);
    return d;
  };
  Decision a = arrive(1, 0.5);
  EXPECT_TRUE(a.judged);
  EXPECT_EQ(a.verdict, Verdict::kContinue);
  EXPECT_EQ(a.rung, 0);
  EXPECT_EQ(a.compared, 1);
  Decision b = arrive(2, 0.6);  // 2 trials, top max(1, 2/3) = 1: second place stops
  EXPECT_EQ(b.verdict, Verdict::kStop);
  EXPECT_EQ(b.keep, 1);
  EXPECT_DOUBLE_EQ(b.threshold, 0.5);
  EXPECT_NE(b.summary.find("ranks 2 of 2"), std::string::npos) << b.summary;
  EXPECT_EQ(arrive(3, 0.4).verdict, Verdict::kContinue);  // the new best
  EXPECT_EQ(arrive(4, 0.45).verdict, Verdict::kStop);     // 2nd of 4, keep 1
  EXPECT_EQ(arrive(5, 0.3).verdict, Verdict::kContinue);
  Decision f = arrive(6, 0.42);  // 6 trials: keep 2 (0.3, 0.4); 0.42 is 3rd
  EXPECT_EQ(f.keep, 2);
  EXPECT_EQ(f.verdict, Verdict::kStop);
  EXPECT_EQ(arrive(7, 0.35).verdict, Verdict::kContinue);  // 7 trials keep 2: 2nd
}

TEST(HyperbandTest, OnlyAtRungsAndOnlyTheNewestEpoch) {
  const EarlyStopRule rule = Hyperband(1, 3, 10);  // rungs 1, 3, 9
  std::vector<TrialCurve> others = {Curve(1, {0.1, 0.1, 0.1, 0.1}), Curve(2, {0.2, 0.2, 0.2, 0.2})};
  TrialCurve bad = Curve(3, {0.9, 0.9});
  EXPECT_FALSE(Decide(rule, bad, 1, others).judged);  // 2 epochs: no rung
  bad.values[2] = 0.9;
  Decision d = Decide(rule, bad, 2, others);  // 3 epochs: rung 1
  EXPECT_TRUE(d.judged);
  EXPECT_EQ(d.rung, 1);
  EXPECT_EQ(d.rung_epochs, 3);
  EXPECT_EQ(d.verdict, Verdict::kStop);
  EXPECT_FALSE(Decide(rule, bad, 0, others).judged);  // a re-sent older epoch
  bad.values[9] = 0.9;                                 // 10 epochs = max_iter
  EXPECT_FALSE(Decide(rule, bad, 9, others).judged);
  EXPECT_FALSE(MayJudgeAt(Hyperband(3, 3, 10), 1));
  EXPECT_TRUE(MayJudgeAt(Hyperband(3, 3, 10), 2));
}

TEST(HyperbandTest, SparseCurveIsJudgedAtTheHighestRungItCrossed) {
  const EarlyStopRule rule = Hyperband(1, 3, 30);  // rungs 1, 3, 9, 27
  TrialCurve t;
  t.trial_id = 9;
  t.values = {{0, 0.5}, {4, 0.5}};  // evaluated after 1 and 5 epochs
  std::vector<TrialCurve> others = {Curve(1, {0.9, 0.8, 0.7, 0.6, 0.5})};
  Decision d = Decide(rule, t, 4, others);
  ASSERT_TRUE(d.judged);
  EXPECT_EQ(d.rung_epochs, 3);
  EXPECT_EQ(d.compared, 2);
  EXPECT_EQ(d.verdict, Verdict::kContinue);  // 0.5 beats the other's 0.7 (best up to 3 epochs)
}

TEST(HyperbandTest, StrictComparesTheValueAtTheRung) {
  EarlyStopRule rule = Hyperband(3, 3, 10);
  std::vector<TrialCurve> others = {Curve(1, {0.5, 0.4, 0.35})};
  TrialCurve dipped = Curve(2, {0.5, 0.2, 0.45});  // best 0.2, at the rung 0.45
  EXPECT_EQ(Decide(rule, dipped, 2, others).verdict, Verdict::kContinue);
  rule.strict = true;
  Decision d = Decide(rule, dipped, 2, others);
  EXPECT_EQ(d.verdict, Verdict::kStop);
  EXPECT_DOUBLE_EQ(d.value, 0.45);
}

TEST(HyperbandTest, MaximizeAndNaN) {
  EarlyStopRule rule = Hyperband(1, 2, 10);
  rule.goal = MetricGoal::kMaximize;
  std::vector<TrialCurve> others = {Curve(1, {0.8})};
  EXPECT_EQ(Decide(rule, Curve(2, {0.9}), 0, others).verdict, Verdict::kContinue);
  EXPECT_EQ(Decide(rule, Curve(2, {0.7}), 0, others).verdict, Verdict::kStop);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Decide(rule, Curve(2, {nan}), 0, others).verdict, Verdict::kStop);
  EXPECT_EQ(Decide(rule, Curve(2, {0.1}), 0, {Curve(1, {nan})}).verdict, Verdict::kContinue);
}

TEST(HyperbandTest, SameDecisionWhateverTheOrderOfOthers) {
  const EarlyStopRule rule = Hyperband(1, 3, 10);
  std::vector<TrialCurve> others = {Curve(1, {0.3}), Curve(2, {0.5}), Curve(3, {0.1}), Curve(4, {0.7}),
                                    Curve(5, {0.2})};
  Decision a = Decide(rule, Curve(6, {0.25}), 0, others);
  std::reverse(others.begin(), others.end());
  Decision b = Decide(rule, Curve(6, {0.25}), 0, others);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.summary, b.summary);
  EXPECT_EQ(a.keep, 2);                       // 6 trials / 3
  EXPECT_EQ(a.verdict, Verdict::kStop);       // 0.25 is 3rd
  EXPECT_DOUBLE_EQ(a.threshold, 0.2);
}

TEST(MedianTest, StopsWhenBestSoFarIsWorseThanTheOthersMedian) {
  const EarlyStopRule rule = MedianRule(3, 10);
  std::vector<TrialCurve> others = {Curve(1, {0.9, 0.6, 0.4, 0.3}), Curve(2, {0.9, 0.7, 0.5, 0.5}),
                                    Curve(3, {0.9, 0.8, 0.6, 0.7})};
  // At epoch 3 the others have 0.3, 0.5, 0.7: median 0.5.
  Decision stop = Decide(rule, Curve(4, {0.9, 0.8, 0.6, 0.55}), 3, others);
  ASSERT_TRUE(stop.judged);
  EXPECT_EQ(stop.verdict, Verdict::kStop);
  EXPECT_DOUBLE_EQ(stop.threshold, 0.5);
  EXPECT_DOUBLE_EQ(stop.value, 0.55);
  EXPECT_EQ(stop.compared, 3);
  // Best so far (0.45 at epoch 2) counts, not the latest value.
  EXPECT_EQ(Decide(rule, Curve(4, {0.9, 0.8, 0.45, 0.6}), 3, others).verdict, Verdict::kContinue);
  // Before min_iter (3 epochs = index 2): not judged.
  EXPECT_FALSE(Decide(rule, Curve(4, {0.9, 0.95}), 1, others).judged);
  EXPECT_TRUE(Decide(rule, Curve(4, {0.9, 0.95, 0.99}), 2, others).judged);
  // No other trial has reached the epoch: nothing to compare with.
  EXPECT_FALSE(Decide(rule, Curve(4, {0.9, 0.9, 0.9, 0.9, 0.9}), 4, others).judged);
}

TEST(MedianTest, EvenCountAveragesTheMiddleTwo) {
  const EarlyStopRule rule = MedianRule(1, 10);
  std::vector<TrialCurve> others = {Curve(1, {0.2}), Curve(2, {0.4})};
  Decision d = Decide(rule, Curve(3, {0.31}), 0, others);
  EXPECT_DOUBLE_EQ(d.threshold, 0.3);
  EXPECT_EQ(d.verdict, Verdict::kStop);
  EXPECT_EQ(Decide(rule, Curve(3, {0.29}), 0, others).verdict, Verdict::kContinue);
}

// A DRW trial is poor until re-weighting starts at method.drw_epoch, then
// the best: the guard keeps it until drw_epoch + drw_grace epochs.
TEST(DrwGuardTest, KeepsADeferredTrialUntilTheGraceEnds) {
  EarlyStopRule rule = MedianRule(2, 12);
  std::vector<TrialCurve> others = {Curve(1, std::vector<double>(10, 0.3)), Curve(2, std::vector<double>(10, 0.35))};
  TrialCurve late = Curve(3, {0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.15});
  late.drw_epoch = 5;  // DRW from epoch index 5; guard until 5 + 2 = 7 epochs trained
  late.values.erase(6);
  Decision kept = Decide(rule, late, 5, others);  // 6 epochs trained
  EXPECT_TRUE(kept.judged);
  EXPECT_TRUE(kept.guarded);
  EXPECT_EQ(kept.verdict, Verdict::kContinue);
  EXPECT_NE(kept.summary.find("DRW guard until 7 epochs"), std::string::npos) << kept.summary;
  late.values[6] = 0.15;  // the drop after the transition
  EXPECT_EQ(Decide(rule, late, 6, others).verdict, Verdict::kContinue);
  late.values[6] = 0.6;  // no drop: stopped once the grace is over
  Decision after = Decide(rule, late, 6, others);
  EXPECT_EQ(after.verdict, Verdict::kStop);
  EXPECT_FALSE(after.guarded);
  // respect_drw: false stops it before the transition.
  rule.respect_drw = false;
  late.values.erase(6);
  EXPECT_EQ(Decide(rule, late, 5, others).verdict, Verdict::kStop);
  // A trial without deferred re-balancing is never guarded.
  rule.respect_drw = true;
  late.drw_epoch.reset();
  EXPECT_EQ(Decide(rule, late, 5, others).verdict, Verdict::kStop);
}

TEST(DrwGuardTest, AppliesToHyperbandRungs) {
  EarlyStopRule rule = Hyperband(2, 2, 12);  // rungs 2, 4, 8
  rule.drw_grace = 1;
  std::vector<TrialCurve> others = {Curve(1, {0.3, 0.3, 0.3, 0.3}), Curve(2, {0.4, 0.4, 0.4, 0.4})};
  TrialCurve late = Curve(3, {0.6, 0.6, 0.6, 0.6});
  late.drw_epoch = 3;  // guard until 4 epochs
  Decision at4 = Decide(rule, late, 3, others);
  EXPECT_EQ(at4.rung_epochs, 4);
  EXPECT_EQ(at4.verdict, Verdict::kStop);  // 4 >= 3 + 1: guard over
  late.drw_epoch = 4;
  EXPECT_TRUE(Decide(rule, late, 3, others).guarded);
}

TEST(DeferredRebalanceEpochTest, ReadsTheResolvedConfig) {
  EXPECT_EQ(DeferredRebalanceEpoch(Json::parse(R"({"method":{"defer":"drw","drw_epoch":7}})")), 7);
  EXPECT_EQ(DeferredRebalanceEpoch(Json::parse(R"({"method":{"defer":"drs","drw_epoch":3}})")), 3);
  EXPECT_EQ(DeferredRebalanceEpoch(Json::parse(R"({"method":{"defer":"none","drw_epoch":7}})")), std::nullopt);
  EXPECT_EQ(DeferredRebalanceEpoch(Json::parse(R"({"train":{"epochs":7}})")), std::nullopt);
  EXPECT_EQ(DeferredRebalanceEpoch(Json::parse(R"({"method":{"defer":"drw"}})")), 160);  // schema default
}

TEST(RuleJsonTest, RoundTripsAndValidates) {
  EarlyStopRule r = Hyperband(0, 2.5, 40);
  r.s = 3;
  r.strict = true;
  r.respect_drw = false;
  r.drw_grace = 4;
  r.goal = MetricGoal::kMaximize;
  auto back = RuleFromJson(RuleToJson(r));
  ASSERT_OK(back.status());
  EXPECT_EQ(RuleToJson(*back), RuleToJson(r));
  Json bad = RuleToJson(r);
  bad["eta"] = 1.0;
  EXPECT_EQ(RuleFromJson(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RuleFromJson(Json::object()).status().code(), StatusCode::kInvalidArgument);
}

TEST(DescribeRuleTest, ListsTheRungs) {
  const std::string text = DescribeRule(Hyperband(1, 3, 30));
  EXPECT_NE(text.find("rungs at 1, 3, 9, 27 of 30 epochs"), std::string::npos) << text;
  EXPECT_NE(text.find("drw_epoch + 2"), std::string::npos) << text;
}

}  // namespace
}  // namespace ltsweep::search
