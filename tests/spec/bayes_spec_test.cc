// method: bayes in sweep specs (spec/bayes.h): what parses, the clear errors,
// expand's refusal, validate's plan, and trials built from points of the
// search space exactly as expansion builds them.
#include <set>

#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "spec/bayes.h"
#include "spec/expand.h"
#include "spec/sweep_spec.h"
#include "tests/testing/test_util.h"

namespace ltsweep::spec {
namespace {

constexpr char kBayes[] = R"(name: tpe
method: bayes
run_cap: 20
seed: 4
metric: {name: val_error, goal: minimize}
config:
  train: {epochs: 10}
  method: {drw_epoch: 6}
parameters:
  train.lr: {distribution: log_uniform_values, min: 0.001, max: 0.5}
  train.momentum: {distribution: uniform, min: 0.8, max: 0.99}
  train.batch_size: {distribution: int_uniform, min: 32, max: 256}
  train.weight_decay: {distribution: q_uniform, min: 0.0, max: 0.001, q: 0.0001}
  method:
    values:
      - {method.loss: ce}
      - {method.loss: ldam, method.defer: drw}
early_terminate: {type: hyperband, min_iter: 2, eta: 3}
)";

StatusOr<SweepSpec> Parse(const std::string& yaml) { return ParseSweepSpec(yaml, "test.yaml"); }

void ExpectParseError(const std::string& yaml, const std::string& prefix, const std::string& what) {
  auto r = Parse(yaml);
  ASSERT_FALSE(r.ok()) << yaml;
  EXPECT_EQ(r.status().message().rfind(prefix, 0), 0u) << r.status().message();
  EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
}

TEST(BayesSpecTest, ParsesWithEveryDistributionAndEarlyTerminate) {
  auto spec = Parse(kBayes);
  ASSERT_OK(spec);
  EXPECT_EQ(spec->method, SearchMethod::kBayes);
  EXPECT_STREQ(SearchMethodName(spec->method), "bayes");
  EXPECT_EQ(spec->run_cap, std::optional<int64_t>(20));
  EXPECT_EQ(spec->early_terminate.type, "hyperband");
  auto space = BayesSpace(*spec);
  ASSERT_OK(space);
  ASSERT_EQ(space->size(), 5u);
  EXPECT_EQ((*space)[0].kind, search::DimensionKind::kLogUniform);
  EXPECT_EQ((*space)[1].kind, search::DimensionKind::kUniform);
  EXPECT_EQ((*space)[2].kind, search::DimensionKind::kIntUniform);
  EXPECT_EQ((*space)[3].kind, search::DimensionKind::kQUniform);
  EXPECT_EQ((*space)[4].kind, search::DimensionKind::kCategorical);
  EXPECT_EQ((*space)[4].choices, 2);
}

TEST(BayesSpecTest, BadBayesSpecsGetClearErrors) {
  ExpectParseError("method: bayes\nparameters:\n  train.lr: {values: [0.1, 0.2]}\n", "test.yaml:1: run_cap:",
                   "bayes search needs run_cap");
  ExpectParseError("method: bayes\nrun_cap: 5\nseeds: [0, 1]\nparameters:\n  train.lr: {values: [0.1, 0.2]}\n",
                   "test.yaml:3: seeds:", "give one seed");
  ExpectParseError("method: bayes\nrun_cap: 5\n", "test.yaml:1: parameters:", "at least one parameter");
  ExpectParseError("method: bayse\n", "test.yaml:1: method:", "did you mean 'bayes'?");
  auto spec = Parse(
      "method: bayes\nrun_cap: 5\nparameters:\n"
      "  train.weight_decay: {distribution: q_uniform, min: 0.15, max: 0.18, q: 0.1}\n");
  ASSERT_OK(spec);
  auto space = BayesSpace(*spec);
  ASSERT_FALSE(space.ok());
  EXPECT_EQ(space.status().message().rfind("test.yaml:4: parameters.train.weight_decay:", 0), 0u)
      << space.status().message();
  EXPECT_NE(space.status().message().find("no multiple of 0.1"), std::string::npos);
}

TEST(BayesSpecTest, ExpandRefusesSayingTrialsAreNotKnownInAdvance) {
  auto r = ValidateSweepText(kBayes, "test.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("test.yaml:3: method:", 0), 0u) << r.status().message();
  EXPECT_NE(r.status().message().find("no trials to list in advance"), std::string::npos);
}

TEST(BayesSpecTest, ValidateSaysWhatItWillDo) {
  auto spec = Parse(kBayes);
  ASSERT_OK(spec);
  auto plan = ValidateBayesSweep(*spec);
  ASSERT_OK(plan);
  for (const char* want : {"bayes search (TPE), up to 20 trials (run_cap)", "the first 5 at random",
                           "train.lr", "log_uniform_values [0.001, 0.5]", "q_uniform [0, 0.001] q=0.0001",
                           "categorical, 2 presets", "seed: 4", "early_terminate hyperband",
                           "64 sampled configurations"}) {
    EXPECT_NE(plan->find(want), std::string::npos) << "missing '" << want << "' in:\n" << *plan;
  }
  EXPECT_EQ(BayesStartupTrials(4), 2);
  EXPECT_EQ(BayesStartupTrials(20), 5);
  EXPECT_EQ(BayesStartupTrials(1000), 10);
}

TEST(BayesSpecTest, ValidateFindsACombinationThatIsNoValidTrial) {
  // drw_epoch 6 needs more than 6 epochs; some draws of train.epochs have fewer.
  auto spec = Parse(
      "method: bayes\nrun_cap: 5\nconfig:\n  method: {defer: drw, drw_epoch: 6}\nparameters:\n"
      "  train.epochs: {distribution: int_uniform, min: 2, max: 12}\n");
  ASSERT_OK(spec);
  auto plan = ValidateBayesSweep(*spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("method.drw_epoch"), std::string::npos) << plan.status().message();
}

TEST(BayesSpecTest, ATrialFromAPointIsBuiltLikeAnExpandedOne) {
  auto spec = Parse(kBayes);
  ASSERT_OK(spec);
  auto trial = BayesTrial(*spec, {0.01, 0.9, 128, 0.0003, 1});
  ASSERT_OK(trial);
  EXPECT_EQ(trial->config["train"]["lr"], 0.01);
  EXPECT_EQ(trial->config["train"]["batch_size"], 128);
  EXPECT_TRUE(trial->config["train"]["batch_size"].is_number_integer());
  EXPECT_EQ(trial->config["method"]["loss"], "ldam");
  EXPECT_EQ(trial->config["method"]["defer"], "drw");
  EXPECT_EQ(trial->config["train"]["seed"], 0);
  EXPECT_EQ(trial->hash, ResolvedConfigHash(trial->config));
  EXPECT_EQ(trial->params["train.lr"], 0.01);
  // The same trial written as a one-configuration grid expands to the same hash.
  auto grid = ValidateSweepText(
      "config:\n  train: {epochs: 10, lr: 0.01, momentum: 0.9, batch_size: 128, weight_decay: 0.0003}\n"
      "  method: {drw_epoch: 6, loss: ldam, defer: drw}\n",
      "grid.yaml");
  ASSERT_OK(grid);
  ASSERT_EQ(grid->trials.size(), 1u);
  EXPECT_EQ(grid->trials[0].hash, trial->hash);
}

TEST(BayesSpecTest, LocalRunChecksASampleOfTrials) {
  auto sample = ValidateSweepTextOrSample(kBayes, "test.yaml");
  ASSERT_OK(sample);
  EXPECT_EQ(sample->trials.size(), 64u);
  std::set<std::string> losses;
  for (const auto& t : sample->trials) losses.insert(t.config["method"]["loss"].get<std::string>());
  EXPECT_EQ(losses, (std::set<std::string>{"ce", "ldam"}));
}

}  // namespace
}  // namespace ltsweep::spec
