// early_terminate in sweep specs: parsing, the resolved rule, clear errors.
#include <gtest/gtest.h>

#include "spec/expand.h"
#include "spec/sweep_spec.h"
#include "tests/testing/test_util.h"

namespace ltsweep::spec {
namespace {

StatusOr<ExpandedSweep> Expand(const std::string& yaml) { return ValidateSweepText(yaml, "et.yaml"); }

// Expects "et.yaml:<line>: <path>: ..." containing `what`.
void ExpectError(const std::string& yaml, int line, const std::string& path, const std::string& what) {
  auto r = Expand(yaml);
  ASSERT_FALSE(r.ok()) << "expected an error for:\n" << yaml;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& msg = r.status().message();
  const std::string prefix = "et.yaml:" + std::to_string(line) + ": " + path + ":";
  EXPECT_EQ(msg.compare(0, prefix.size(), prefix), 0) << "message: " << msg << "\nexpected prefix: " << prefix;
  EXPECT_NE(msg.find(what), std::string::npos) << "message: " << msg << "\nexpected to contain: " << what;
}

const char kEpochs[] = "config:\n  train: {epochs: 30}\n";

TEST(EarlyTerminateSpecTest, HyperbandMaxIterDefaultsToTrainEpochs) {
  auto r = Expand(std::string(kEpochs) + "early_terminate: {type: hyperband, min_iter: 1, eta: 3}\n");
  ASSERT_OK(r.status());
  ASSERT_TRUE(r->early_stop.has_value());
  EXPECT_EQ(r->early_stop->max_iter, 30);
  EXPECT_EQ(search::Rungs(*r->early_stop), (std::vector<int64_t>{1, 3, 9, 27}));
  EXPECT_TRUE(r->early_stop->respect_drw);
  EXPECT_EQ(r->early_stop->drw_grace, 2);
  auto spec = ParseSweepSpec(std::string(kEpochs) + "early_terminate: {type: hyperband, min_iter: 1}\n", "et.yaml");
  ASSERT_OK(spec.status());
  EXPECT_NE(SummarizeSweep(*spec, *r).find("rungs at 1, 3, 9, 27 of 30 epochs"), std::string::npos)
      << SummarizeSweep(*spec, *r);
}

TEST(EarlyTerminateSpecTest, EveryKeyReachesTheRule) {
  auto r = Expand(std::string(kEpochs) +
                  "metric: {name: val_error, goal: maximize}\n"
                  "early_terminate: {type: hyperband, max_iter: 27, s: 2, eta: 3, strict: true, drw_grace: 5, "
                  "respect_drw: false}\n");
  ASSERT_OK(r.status());
  const search::EarlyStopRule& rule = *r->early_stop;
  EXPECT_EQ(search::Rungs(rule), (std::vector<int64_t>{3, 9}));
  EXPECT_TRUE(rule.strict);
  EXPECT_FALSE(rule.respect_drw);
  EXPECT_EQ(rule.drw_grace, 5);
  EXPECT_EQ(rule.goal, search::MetricGoal::kMaximize);
  auto m = Expand(std::string(kEpochs) + "early_terminate: {type: median, min_iter: 4}\n");
  ASSERT_OK(m.status());
  EXPECT_EQ(m->early_stop->type, search::EarlyStopType::kMedian);
  EXPECT_EQ(m->early_stop->min_iter, 4);
  auto none = Expand(std::string(kEpochs) + "early_terminate: {type: none}\n");
  ASSERT_OK(none.status());
  EXPECT_FALSE(none->early_stop.has_value());
}

TEST(EarlyTerminateSpecTest, BadValuesGetClearErrors) {
  const std::string head = kEpochs;
  ExpectError(head + "early_terminate: {type: hyperband, min_iter: 40}\n", 3, "early_terminate.min_iter",
              "40 is not below max_iter = train.epochs (30)");
  ExpectError(head + "early_terminate: {type: median, min_iter: 30}\n", 3, "early_terminate.min_iter",
              "not below max_iter = train.epochs (30)");
  ExpectError(head + "early_terminate: {type: hyperband, max_iter: 60, s: 2}\n", 3, "early_terminate.max_iter",
              "above train.epochs (30)");
  ExpectError(head + "early_terminate: {type: hyperband, min_iter: 3, eta: 0.5}\n", 3, "early_terminate.eta",
              "greater than 1");
  ExpectError(head + "early_terminate: {type: asha, min_iter: 3}\n", 3, "early_terminate.type",
              "expected hyperband, median or none");
  ExpectError(head + "early_terminate: {type: medain, min_iter: 3}\n", 3, "early_terminate.type",
              "did you mean 'median'?");
  ExpectError(head + "early_terminate: {type: median}\n", 3, "early_terminate.min_iter", "needs min_iter");
  ExpectError(head + "early_terminate: {type: median, min_iter: 3, eta: 2}\n", 3, "early_terminate.eta",
              "a hyperband key");
  ExpectError(head + "early_terminate: {type: hyperband, min_iter: 3, s: 2}\n", 3, "early_terminate.s",
              "goes with max_iter");
  ExpectError(head + "early_terminate: {type: hyperband, min_iter: 3, drw_grace: -1}\n", 3,
              "early_terminate.drw_grace", "below the minimum");
  ExpectError(head + "early_terminate: {type: hyperband, min_iter: 3, respect_drw: maybe}\n", 3,
              "early_terminate.respect_drw", "expected true or false");
  ExpectError(head + "early_terminate: {type: hyperband, min_iter: 3, patience: 2}\n", 3,
              "early_terminate.patience", "unknown key");
  ExpectError(head + "early_terminate: {type: hyperband, max_iter: 2, s: 1, eta: 3}\n", 3, "early_terminate.s",
              "no rung");
}

}  // namespace
}  // namespace ltsweep::spec
