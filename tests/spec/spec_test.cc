// Sweep specs: parsing, every error message (file, line, key path), grid and
// random expansion, hash stability, and the committed sweeps/ and docs.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "spec/bayes.h"
#include "spec/config_doc.h"
#include "spec/expand.h"
#include "spec/search_random.h"
#include "spec/sweep_spec.h"
#include "tests/testing/test_util.h"

namespace ltsweep::spec {
namespace {

namespace fs = std::filesystem;

// Raw string literals below start with a newline for readability; drop it so
// that the first YAML line is line 1.
std::string Yaml(const char* text) {
  std::string s = text;
  if (!s.empty() && s[0] == '\n') s.erase(0, 1);
  return s;
}

StatusOr<ExpandedSweep> Expand(const std::string& yaml, ExpandOptions options = {}) {
  return ValidateSweepText(yaml, "test.yaml", options);
}

// Expects the spec to fail with "test.yaml:<line>: <path>: ..." containing `what`.
void ExpectError(const std::string& yaml, int line, const std::string& path, const std::string& what,
                 ExpandOptions options = {}) {
  auto r = Expand(yaml, options);
  ASSERT_FALSE(r.ok()) << "expected an error for:\n" << yaml;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& msg = r.status().message();
  std::string prefix = "test.yaml:" + std::to_string(line) + ": " + path + ":";
  EXPECT_EQ(msg.compare(0, prefix.size(), prefix), 0) << "message: " << msg << "\nexpected prefix: " << prefix;
  EXPECT_NE(msg.find(what), std::string::npos) << "message: " << msg << "\nexpected to contain: " << what;
}

// ------------------------------------------------------------- expansion

TEST(SpecExpandTest, GridIsProductTimesSeedsLastAxisFastestSeedsOuter) {
  auto r = Expand(Yaml(R"(
method: grid
config:
  train: {epochs: 3}
seeds: [0, 1]
parameters:
  train.lr: {values: [0.1, 0.01, 0.001]}
  train.batch_size: {values: [32, 64]}
  method.loss: {value: ldam}
)"));
  ASSERT_OK(r);
  EXPECT_EQ(r->configurations, 6);
  EXPECT_EQ(r->candidates, 12);
  EXPECT_EQ(r->collapsed, 0);
  ASSERT_EQ(r->trials.size(), 12u);
  // Seeds outermost, then lr, with batch_size varying fastest.
  EXPECT_EQ(r->trials[0].config["train"]["lr"], 0.1);
  EXPECT_EQ(r->trials[0].config["train"]["batch_size"], 32);
  EXPECT_EQ(r->trials[1].config["train"]["batch_size"], 64);
  EXPECT_EQ(r->trials[2].config["train"]["lr"], 0.01);
  EXPECT_EQ(r->trials[5].config["train"]["seed"], 0);
  EXPECT_EQ(r->trials[6].config["train"]["seed"], 1);
  EXPECT_EQ(r->trials[6].config["train"]["lr"], 0.1);
  std::set<std::string> hashes;
  for (const auto& t : r->trials) {
    EXPECT_EQ(t.config["method"]["loss"], "ldam");
    EXPECT_EQ(t.config["train"]["epochs"], 3);
    EXPECT_EQ(t.hash, ResolvedConfigHash(t.config));
    EXPECT_EQ(t.hash.size(), 64u);
    hashes.insert(t.hash);
  }
  EXPECT_EQ(hashes.size(), 12u);
}

TEST(SpecExpandTest, NoParametersIsOneTrialPerSeed) {
  auto r = Expand("config: {train: {epochs: 2}}\nseeds: [3, 4, 5]\n");
  ASSERT_OK(r);
  ASSERT_EQ(r->trials.size(), 3u);
  EXPECT_EQ(r->trials[2].config["train"]["seed"], 5);
  // Without seeds:, config.train.seed is the one seed.
  r = Expand("config: {train: {epochs: 2, seed: 7}}\n");
  ASSERT_OK(r);
  ASSERT_EQ(r->trials.size(), 1u);
  EXPECT_EQ(r->trials[0].config["train"]["seed"], 7);
}

TEST(SpecExpandTest, GridRunCapKeepsFirstCombinations) {
  auto r = Expand("run_cap: 4\nparameters:\n  train.lr: {values: [0.1, 0.2, 0.3]}\n  train.batch_size: {values: [8, 16]}\n");
  ASSERT_OK(r);
  ASSERT_EQ(r->trials.size(), 4u);
  EXPECT_EQ(r->trials[3].config["train"]["lr"], 0.2);
  EXPECT_EQ(r->trials[3].config["train"]["batch_size"], 16);
}

TEST(SpecExpandTest, NestedWandbFormEqualsDottedForm) {
  auto nested = Expand(Yaml(R"(
parameters:
  train:
    parameters:
      lr: {values: [0.1, 0.05]}
      lr_schedule:
        parameters:
          type: {values: [step, constant]}
)"));
  auto dotted = Expand(Yaml(R"(
parameters:
  train.lr: {values: [0.1, 0.05]}
  train.lr_schedule.type: {values: [step, constant]}
)"));
  ASSERT_OK(nested);
  ASSERT_OK(dotted);
  ASSERT_EQ(nested->trials.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(nested->trials[i].hash, dotted->trials[i].hash);
}

TEST(SpecExpandTest, PresetValuesSetSeveralKeys) {
  auto r = Expand(Yaml(R"(
config: {train: {epochs: 10}, method: {drw_epoch: 5}}
parameters:
  method:
    values:
      - {method.loss: ce}
      - {method.loss: ldam, method.defer: drw, method.reweight: cb}
      - {loss: focal, focal_gamma: 2}
      - method: {oversample: borderline1}
)"));
  ASSERT_OK(r);
  ASSERT_EQ(r->trials.size(), 4u);
  EXPECT_EQ(r->trials[0].config["method"]["loss"], "ce");
  EXPECT_EQ(r->trials[1].config["method"]["loss"], "ldam");
  EXPECT_EQ(r->trials[1].config["method"]["defer"], "drw");
  EXPECT_EQ(r->trials[1].config["method"]["reweight"], "cb");
  EXPECT_EQ(r->trials[2].config["method"]["loss"], "focal");  // keys relative to the section
  EXPECT_EQ(r->trials[2].config["method"]["focal_gamma"], 2.0);
  EXPECT_EQ(r->trials[3].config["method"]["oversample"], "borderline1");
  EXPECT_EQ(r->trials[1].params["method"]["method.defer"], "drw");
}

TEST(SpecExpandTest, DuplicatesCollapse) {
  auto r = Expand(Yaml(R"(
parameters:
  train.lr: {values: [0.1, 0.10, 1e-1, 0.2]}
  method.loss: {values: [ce, ce]}
)"));
  ASSERT_OK(r);
  EXPECT_EQ(r->candidates, 8);
  EXPECT_EQ(r->trials.size(), 2u);
  EXPECT_EQ(r->collapsed, 6);
  // A parameter value equal to the default collapses with the implicit default.
  r = Expand("parameters:\n  train.momentum: {values: [0.9, 0.90]}\n");
  ASSERT_OK(r);
  EXPECT_EQ(r->trials.size(), 1u);
  EXPECT_EQ(r->trials[0].hash, *TrialConfigHash(Json::object()));
}

TEST(SpecExpandTest, HashStableUnderKeyOrderAndNumberSpelling) {
  auto a = Expand(Yaml(R"(
config:
  train: {lr: 1e-4, epochs: 20, weight_decay: 2e-4}
  method: {loss: ldam, defer: drw, drw_epoch: 10}
)"));
  auto b = Expand(Yaml(R"(
config:
  method: {drw_epoch: 10.0, defer: drw, loss: ldam}
  train: {weight_decay: 0.0002, epochs: 20.0, lr: 0.0001, momentum: 0.9}
)"));
  auto c = Expand(Yaml(R"(
config:
  train.lr: 0.00010
  train.epochs: 20
  method.loss: ldam
  method.defer: drw
  method.drw_epoch: 10
)"));
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(c);
  EXPECT_EQ(a->trials[0].hash, b->trials[0].hash);
  EXPECT_EQ(a->trials[0].hash, c->trials[0].hash);
  // The hash is the common library's hash of the same config given as JSON.
  auto direct = TrialConfigHash(Json::parse(
      R"({"train": {"lr": 0.0001, "epochs": 20, "seed": 0}, "method": {"loss": "ldam", "defer": "drw", "drw_epoch": 10}})"));
  ASSERT_OK(direct);
  EXPECT_EQ(a->trials[0].hash, *direct);
}

TEST(SpecExpandTest, QuotedNumbersStayStrings) {
  ExpectError("config: {train: {lr: \"0.1\"}}\n", 1, "config.train.lr", "expected a number");
}

// ---------------------------------------------------------- random search

const char* kRandomSpec = R"(
method: random
run_cap: 40
seed: 11
seeds: [0, 1]
parameters:
  train.lr: {distribution: log_uniform_values, min: 0.001, max: 0.1}
  train.momentum: {distribution: uniform, min: 0.5, max: 0.99}
  train.batch_size: {distribution: int_uniform, min: 16, max: 256}
  method.cb_beta: {distribution: q_uniform, min: 0.9, max: 0.99, q: 0.01}
  method.loss: {values: [ce, focal, ldam]}
)";

TEST(SpecRandomTest, DeterministicForASpecAndWithinBounds) {
  auto a = Expand(Yaml(kRandomSpec));
  auto b = Expand(Yaml(kRandomSpec));
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a->candidates, 80);
  ASSERT_EQ(a->trials.size(), b->trials.size());
  for (size_t i = 0; i < a->trials.size(); ++i) EXPECT_EQ(a->trials[i].hash, b->trials[i].hash);
  std::set<std::string> losses;
  std::set<double> lrs;
  for (const auto& t : a->trials) {
    double lr = t.config["train"]["lr"];
    EXPECT_GE(lr, 0.001);
    EXPECT_LE(lr, 0.1);
    lrs.insert(lr);
    double m = t.config["train"]["momentum"];
    EXPECT_GE(m, 0.5);
    EXPECT_LE(m, 0.99);
    ASSERT_TRUE(t.config["train"]["batch_size"].is_number_integer());
    int64_t bs = t.config["train"]["batch_size"];
    EXPECT_GE(bs, 16);
    EXPECT_LE(bs, 256);
    double beta = t.config["method"]["cb_beta"];
    double steps = beta / 0.01;
    EXPECT_NEAR(steps, std::round(steps), 1e-9) << beta;
    losses.insert(t.config["method"]["loss"].get<std::string>());
  }
  EXPECT_EQ(losses.size(), 3u);
  EXPECT_EQ(lrs.size(), 40u);  // 40 distinct draws, each run with 2 seeds
  // Seed 1 repeats the configurations of seed 0.
  EXPECT_EQ(a->trials[0].config["train"]["lr"], a->trials[40].config["train"]["lr"]);
}

TEST(SpecRandomTest, DifferentSearchSeedDifferentTrials) {
  std::string other = Yaml(kRandomSpec);
  other.replace(other.find("seed: 11"), 8, "seed: 12");
  auto a = Expand(Yaml(kRandomSpec));
  auto b = Expand(other);
  ASSERT_OK(a);
  ASSERT_OK(b);
  std::set<std::string> ha, hb;
  for (const auto& t : a->trials) ha.insert(t.hash);
  for (const auto& t : b->trials) hb.insert(t.hash);
  std::vector<std::string> common;
  std::set_intersection(ha.begin(), ha.end(), hb.begin(), hb.end(), std::back_inserter(common));
  EXPECT_TRUE(common.empty());
}

TEST(SpecRandomTest, EngineIsTheStandardMt19937_64) {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64;
  // Unit() uses its top 53 bits.
  SearchRng rng(5489u);
  double u = 0;
  for (int i = 0; i < 10000; ++i) u = rng.Unit();
  EXPECT_EQ(u, static_cast<double>(9981545732273789042ull >> 11) / 9007199254740992.0);
  SearchRng r2(1);
  std::map<uint64_t, int> counts;
  for (int i = 0; i < 3000; ++i) counts[r2.Below(3)]++;
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [v, n] : counts) EXPECT_GT(n, 800) << v;
  EXPECT_EQ(r2.QUniform(0.3, 0.3, 0.1), 0.3);
  EXPECT_EQ(r2.IntUniform(4, 4), 4);
}

// ------------------------------------------------------------------ errors

TEST(SpecErrorTest, UnknownKeysEverywhereWithSuggestions) {
  ExpectError("method: grid\nparamters:\n  train.lr: {values: [0.1]}\n", 2, "paramters",
              "unknown key (did you mean 'parameters'?)");
  ExpectError("parameters:\n  train.lr: {valuse: [0.1]}\n", 2, "parameters.train.lr.valuse",
              "did you mean 'values'?");
  ExpectError("config:\n  train:\n    epochs: 3\n    lrr: 0.1\n", 4, "config.train.lrr",
              "unknown config key (did you mean 'train.lr'?)");
  ExpectError("parameters:\n  train.lerning_rate: {values: [0.1]}\n", 2, "parameters.train.lerning_rate",
              "not a trial-config key");
  ExpectError("parameters:\n  train.lrr: {distribution: uniform, min: 0.1, max: 0.2}\n", 2,
              "parameters.train.lrr", "did you mean 'train.lr'?");
  ExpectError("parameters:\n  method:\n    values:\n      - {method.los: ce}\n", 4,
              "parameters.method.values[0].method.los", "did you mean 'method.loss'?");
  ExpectError("metric: {name: val_error, gaol: minimize}\n", 1, "metric.gaol", "did you mean 'goal'?");
  ExpectError("resources: {gpu: 1}\n", 1, "resources.gpu", "did you mean 'gpus'?");
  ExpectError("config: {train: {lr: 0.1}}\nconfig: {train: {lr: 0.2}}\n", 2, "config", "duplicate key");
  ExpectError("program: train.py\n", 1, "program", "W&B key that ltsweep does not use");
}

// resources.gpus is acted on (the coordinator leases a trial only to a slot
// holding that many GPUs), so counts it cannot honour are refused up front.
TEST(SpecErrorTest, GpusThatCannotBeHonouredAreRefused) {
  ExpectError("resources: {gpus: 0.5}\n", 1, "resources.gpus", "expected an integer, got 0.5");
  ExpectError("resources: {gpus: 65}\n", 1, "resources.gpus", "65 is above the maximum 64");
  ExpectError("resources: {gpus: -1}\n", 1, "resources.gpus", "below the minimum 0");
  ExpectError("resources: {gpus: '1'}\n", 1, "resources.gpus", "expected an integer");
  auto spec = ParseSweepSpec("config: {train: {epochs: 1}}\n", "test.yaml");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->gpus, 0) << "no resources: CPU trials";
  spec = ParseSweepSpec("resources: {gpus: 8}\n", "test.yaml");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->gpus, 8);
}

TEST(SpecErrorTest, WrongTypes) {
  ExpectError("method: random\nrun_cap: ten\nparameters:\n  train.lr: {values: [0.1]}\n", 2, "run_cap",
              "expected an integer");
  ExpectError("seeds: 3\n", 1, "seeds", "expected a list of integers");
  ExpectError("seeds: [0, x]\n", 1, "seeds[1]", "expected an integer");
  ExpectError("\n\nconfig:\n  train: {epochs: many}\n", 4, "config.train.epochs", "expected an integer");
  ExpectError("rerun: maybe\n", 1, "rerun", "expected true or false");
  ExpectError("parameters:\n  train.lr: [0.1, 0.2]\n", 2, "parameters.train.lr", "expected a mapping");
  ExpectError("config:\n  train: 5\n", 2, "config.train", "is a section");
  ExpectError("max_attempts: 0\n", 1, "max_attempts", "below the minimum 1");
  ExpectError("method: bayes\n", 1, "run_cap", "bayes search needs run_cap");
  ExpectError("method: gird\n", 1, "method", "did you mean 'grid'?");
  ExpectError("- a\n- b\n", 1, "(top level)", "expected a mapping");
  ExpectError("", 1, "(top level)", "empty document");
}

TEST(SpecErrorTest, ValuesAndRanges) {
  ExpectError("parameters:\n  train.lr:\n    values: []\n", 3, "parameters.train.lr.values", "empty list");
  ExpectError("method: random\nrun_cap: 3\nparameters:\n  train.lr: {distribution: uniform, min: 0.5, max: 0.1}\n",
              4, "parameters.train.lr.min", "min 0.5 is greater than max 0.1");
  ExpectError(
      "method: random\nrun_cap: 3\nparameters:\n  train.lr:\n    distribution: log_uniform_values\n    min: 0\n"
      "    max: 0.1\n",
      6, "parameters.train.lr.min", "log_uniform_values needs min > 0");
  ExpectError("method: random\nrun_cap: 3\nparameters:\n  train.epochs: {distribution: uniform, min: 1, max: 5.5}\n",
              4, "parameters.train.epochs", "use int_uniform");
  ExpectError("method: random\nrun_cap: 3\nparameters:\n  train.lr: {distribution: normal, min: 1, max: 2}\n", 4,
              "parameters.train.lr.distribution", "unknown distribution 'normal'");
  ExpectError("method: random\nrun_cap: 3\nparameters:\n  train.momentum: {distribution: uniform, min: 0.5, max: 2}\n",
              4, "parameters.train.momentum.max", "above the maximum 1");
  // Every value of values is checked and named by its index.
  ExpectError("parameters:\n  train.lr:\n    values:\n      - 0.1\n      - 0.01\n      - abc\n", 6,
              "parameters.train.lr.values[2]", "expected a number");
  ExpectError("parameters:\n  method.loss: {values: [ce, hinge]}\n", 2, "parameters.method.loss.values[1]",
              "unknown value \"hinge\"");
  ExpectError("parameters:\n  train.lr_schedule.milestones: {values: [[10, 20], [5, -1]]}\n", 2,
              "parameters.train.lr_schedule.milestones.values[1][1]", "below the minimum");
}

TEST(SpecErrorTest, SearchMethodRules) {
  ExpectError("\nmethod: random\nparameters:\n  train.lr: {values: [0.1, 0.2]}\n", 2, "run_cap",
              "random search needs run_cap");
  ExpectError("method: grid\nparameters:\n  train.lr: {values: [0.1]}\n  train.momentum: {distribution: uniform, "
              "min: 0.5, max: 0.9}\n",
              4, "parameters.train.momentum", "grid search needs values");
  ExpectError("seeds: [0]\nparameters:\n  train.seed: {values: [1, 2]}\n", 1, "seeds", "train.seed is swept");
  ExpectError("parameters:\n  train.lr: {values: [0.1]}\n  tune:\n    values: [{train.lr: 0.2}]\n", 3,
              "parameters.tune", "sets train.lr, which parameter train.lr also sets");
  ExpectError("parameters:\n  train.lr: {values: [0.1]}\n  train:\n    parameters:\n      lr: {values: [0.2]}\n", 5,
              "parameters.train.lr", "defined twice");
}

TEST(SpecErrorTest, TrialCap) {
  std::string yaml = "seeds: [0, 1, 2]\nparameters:\n  train.lr: {values: [0.1, 0.2, 0.3, 0.4]}\n"
                     "  train.batch_size: {values: [1, 2, 3, 4, 5]}\n";
  ExpandOptions small;
  small.max_trials = 59;
  ExpectError(yaml, 2, "parameters", "expands to 60 trials", small);
  small.max_trials = 60;
  ASSERT_OK(Expand(yaml, small));
  ExpectError("method: random\nrun_cap: 200000\nparameters:\n  train.lr: {distribution: uniform, min: 0.1, max: 1}\n",
              2, "run_cap", "more than the cap of 100000");
}

TEST(SpecErrorTest, MalformedYaml) {
  ExpectError("method: grid\nparameters:\n  train.lr: {values: [0.1, 0.2}\n", 3, "malformed YAML", "");
  ExpectError("method: grid\n  bad indent: 1\n", 2, "malformed YAML", "");
}

TEST(SpecErrorTest, DataRootMustExistWhenGiven) {
  testing::TempDir tmp;
  ExpectError("config:\n  data: {dataset: cifar10, root: /nonexistent/ltsweep-cifar}\n  model: {arch: resnet32}\n",
              2, "config.data.root", "folder '/nonexistent/ltsweep-cifar' does not exist");
  ExpectError("parameters:\n  data.root:\n    values: [" + tmp.path().string() + ", /nonexistent/x]\n", 3,
              "parameters.data.root.values[1]", "does not exist");
  ASSERT_OK(Expand("config:\n  data: {root: " + tmp.path().string() + "}\n"));
  ExpandOptions no_check;
  no_check.check_data_paths = false;
  ASSERT_OK(Expand("config:\n  data: {root: /nonexistent/ltsweep-cifar}\n", no_check));
}

TEST(SpecErrorTest, CrossKeyRulesNameTheLineThatSetTheKey) {
  ExpectError(Yaml(R"(
config:
  train: {epochs: 10}
  method: {defer: drw}
parameters:
  method.drw_epoch:
    values: [5, 9, 10]
)"),
              6, "method.drw_epoch", "must be below train.epochs");
  ExpectError("config:\n  data: {dataset: imdb}\n", 2, "model.arch", "does not fit data.dataset imdb");
  // drw_epoch is left at its default: the line blamed is the one that set method.defer.
  ExpectError("config:\n  train: {epochs: 5}\nparameters:\n  method:\n    values:\n      - {method.loss: ce}\n"
              "      - {method.loss: ldam, method.defer: drw}\n",
              7, "method.drw_epoch", "must be below train.epochs (5) when method.defer is drw");
}

TEST(SpecErrorTest, EarlyTerminate) {
  ASSERT_OK(Expand("early_terminate: {type: hyperband, min_iter: 3, eta: 2}\n"));
  ExpectError("early_terminate: {type: hyperbnd, min_iter: 3}\n", 1, "early_terminate.type",
              "did you mean 'hyperband'?");
  ExpectError("early_terminate: {type: hyperband}\n", 1, "early_terminate", "needs min_iter");
  ExpectError("early_terminate: {type: hyperband, min_iter: 3, eta: 1}\n", 1, "early_terminate.eta",
              "greater than 1");
}

TEST(SpecParseTest, ResourceTimeoutsAreDurations) {
  auto s = ParseSweepSpec(
      "resources: {timeout: 2h, no_progress_timeout: 10m}\nparameters:\n  train.lr: {value: 0.1}\n",
      "t.yaml");
  ASSERT_OK(s);
  EXPECT_EQ(s->timeout_ms, 2 * 3600 * 1000);
  EXPECT_EQ(s->no_progress_timeout_ms, 10 * 60 * 1000);
  auto mixed = ParseSweepSpec(
      "resources: {timeout: 1h30m, no_progress_timeout: 500ms}\nparameters:\n  train.lr: {value: 0.1}\n",
      "t.yaml");
  ASSERT_OK(mixed);
  EXPECT_EQ(mixed->timeout_ms, 90 * 60 * 1000);
  EXPECT_EQ(mixed->no_progress_timeout_ms, 500);
  auto none = ParseSweepSpec("resources: {timeout: 0}\nparameters:\n  train.lr: {value: 0.1}\n", "t.yaml");
  ASSERT_OK(none);
  EXPECT_EQ(none->timeout_ms, 0);
  auto unset = ParseSweepSpec("parameters:\n  train.lr: {value: 0.1}\n", "t.yaml");
  ASSERT_OK(unset);
  EXPECT_EQ(unset->timeout_ms, 0);
  EXPECT_EQ(unset->no_progress_timeout_ms, 0);
  ExpectError("resources: {timeout: soon}\n", 1, "resources.timeout", "expected a duration");
  ExpectError("resources: {no_progress_timeout: 10x}\n", 1, "resources.no_progress_timeout",
              "expected a duration");
  ExpectError("resources: {timeout: [1h]}\n", 1, "resources.timeout", "expected a duration");
}

TEST(SpecParseTest, ExtrasAndDefaults) {
  auto s = ParseSweepSpec(Yaml(R"(
name: demo
method: random
run_cap: 5
seed: 42
metric: {name: val_loss, goal: minimize}
max_attempts: 5
resources: {gpus: 2}
priority: -3
rerun: true
seeds: [1, 2]
parameters:
  train.lr: {min: 0.01, max: 0.1}
  train.epochs: {min: 2, max: 8}
)"),
                          "sweeps/demo.yaml");
  ASSERT_OK(s);
  EXPECT_EQ(s->name, "demo");
  EXPECT_EQ(s->method, SearchMethod::kRandom);
  EXPECT_EQ(s->search_seed, 42u);
  EXPECT_EQ(s->metric.name, "val_loss");
  EXPECT_EQ(s->max_attempts, 5);
  EXPECT_EQ(s->gpus, 2);
  EXPECT_EQ(s->priority, -3);
  EXPECT_TRUE(s->rerun);
  EXPECT_EQ(s->seeds, (std::vector<int64_t>{1, 2}));
  // W&B's inference: real bounds draw uniform, integer bounds int_uniform.
  EXPECT_EQ(s->parameters[0].distribution, Distribution::kUniform);
  EXPECT_EQ(s->parameters[1].distribution, Distribution::kIntUniform);

  auto d = ParseSweepSpec("parameters:\n  train.lr: {value: 0.1}\n", "dir/my_sweep.yaml");
  ASSERT_OK(d);
  EXPECT_EQ(d->name, "my_sweep");
  EXPECT_EQ(d->method, SearchMethod::kGrid);
  EXPECT_EQ(d->seeds, std::vector<int64_t>{0});
  EXPECT_EQ(d->max_attempts, 3);
  EXPECT_EQ(d->gpus, 0);  // CPU trials unless resources.gpus says otherwise
  EXPECT_EQ(d->priority, 0);
  EXPECT_FALSE(d->rerun);
  EXPECT_EQ(d->metric.goal, "minimize");

  auto missing = LoadSweepSpecFile("/nonexistent/spec.yaml");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(SpecSummaryTest, NamesAxesAndCounts) {
  auto s = ParseSweepSpec("seeds: [0, 1]\nparameters:\n  method.loss: {values: [ce, ldam]}\n", "t.yaml");
  ASSERT_OK(s);
  auto e = ExpandSweep(*s);
  ASSERT_OK(e);
  std::string text = SummarizeSweep(*s, *e);
  EXPECT_NE(text.find("4 trials"), std::string::npos) << text;
  EXPECT_NE(text.find("method.loss"), std::string::npos) << text;
  EXPECT_NE(text.find("\"ldam\""), std::string::npos) << text;
  EXPECT_NE(text.find("seeds: [0, 1]"), std::string::npos) << text;
}

// ------------------------------------------------------ committed files

TEST(SweepsFolderTest, EveryCommittedSpecValidatesAndExpands) {
  fs::path dir = testing::SourceDir() / "sweeps";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    auto spec = LoadSweepSpecFile(entry.path().string());
    ASSERT_OK(spec);
    if (spec->method == SearchMethod::kBayes) {  // no trials in advance: its plan must check out
      EXPECT_OK(ValidateBayesSweep(*spec));
      continue;
    }
    auto expanded = ExpandSweep(*spec);
    ASSERT_OK(expanded);
    EXPECT_GT(expanded->trials.size(), 0u) << entry.path();
    EXPECT_EQ(expanded->collapsed, 0) << entry.path() << ": a committed sweep should not repeat itself";
  }
  EXPECT_GE(files, 6);
}

TEST(SweepsFolderTest, KnownTrialCounts) {
  auto count = [](const char* file) -> int64_t {
    auto spec = LoadSweepSpecFile((testing::SourceDir() / "sweeps" / file).string());
    if (!spec.ok()) return -1;
    auto e = ExpandSweep(*spec);
    return e.ok() ? static_cast<int64_t>(e->trials.size()) : -1;
  };
  EXPECT_EQ(count("quickstart.yaml"), 4);
  EXPECT_EQ(count("fmnist_lt_study.yaml"), 6 * 2);
  EXPECT_EQ(count("cifar10_lt_table2.yaml"), 7 * 2 * 3);
  EXPECT_EQ(count("imdb_linear_table4.yaml"), (5 + 3) * 4 * 2);  // (5 C values + 3 models) x sizes x weights
  EXPECT_EQ(count("imdb_table1.yaml"), 4 * 3 * 5 * 4);
}

TEST(DocsTest, ConfigKeyTableMatchesTheSchema) {
  std::string doc = testing::ReadFile(testing::SourceDir() / "docs" / "sweep-spec.md");
  size_t begin = doc.find(kSchemaTableBegin);
  size_t end = doc.find(kSchemaTableEnd);
  ASSERT_NE(begin, std::string::npos) << "docs/sweep-spec.md lacks the table markers";
  ASSERT_NE(end, std::string::npos);
  begin += std::string(kSchemaTableBegin).size() + 1;  // and its newline
  std::string committed = doc.substr(begin, end - begin);
  EXPECT_EQ(committed, RenderConfigKeyTable())
      << "docs/sweep-spec.md is out of date with common/config_schema.cc; regenerate the table between the markers "
         "with `ltsweep validate --print-schema`";
  // Every schema key appears.
  for (const auto& key : TrialConfigSchema()) EXPECT_NE(committed.find("`" + key.path + "`"), std::string::npos);
}

}  // namespace
}  // namespace ltsweep::spec
