// Staged sweeps (`stages:`, spec/stages.h): references to earlier stages'
// values, good and bad; a later stage's trials carry the found values.
#include <gtest/gtest.h>

#include "spec/expand.h"
#include "spec/stages.h"
#include "spec/sweep_spec.h"
#include "tests/testing/test_util.h"

namespace ltsweep::spec {
namespace {

// Line numbers below count from this text's first line.
const char kScheme[] = R"(name: scheme
config:
  data: {dataset: fashion_mnist}
  model: {arch: resnet8}
  train: {epochs: 12}
seeds: [0]
stages:
  - name: range_test
    find: lr_bounds
    rule: {smooth: 3, rise: 0.1}
    config:
      train:
        lr_schedule: {type: range_test, min_lr: 0.001, max_lr: 1.0}
  - name: plateau
    find: plateau
    config:
      method.loss: ldam
      train.lr: ${range_test.max_lr}
      train.lr_schedule.type: constant
  - name: grid
    seeds: [0, 1]
    config:
      train.lr_schedule:
        type: triangular
        min_lr: ${range_test.min_lr}
        max_lr: ${range_test.max_lr}
        milestones: ${plateau.milestones}
      method.drw_epoch: ${plateau.drw_epoch}
    parameters:
      method.loss: {values: [ce, ldam]}
)";

// Expects "st.yaml:<line>: <path>: ..." containing `what`.
void ExpectError(const std::string& yaml, int line, const std::string& path, const std::string& what) {
  auto r = ParseSweepSpec(yaml, "st.yaml");
  ASSERT_FALSE(r.ok()) << "expected an error for:\n" << yaml;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& msg = r.status().message();
  const std::string prefix = "st.yaml:" + std::to_string(line) + ": " + path + ":";
  EXPECT_EQ(msg.compare(0, prefix.size(), prefix), 0) << "message: " << msg << "\nexpected prefix: " << prefix;
  EXPECT_NE(msg.find(what), std::string::npos) << "message: " << msg << "\nexpected to contain: " << what;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(StagesSpecTest, ParsesAsTheFirstStageWithEveryStageChecked) {
  auto spec = ParseSweepSpec(kScheme, "st.yaml");
  ASSERT_OK(spec.status());
  ASSERT_EQ(spec->stages.size(), 3u);
  EXPECT_EQ(spec->stage_index, 0);
  EXPECT_EQ(spec->stages[0].find, StageFind::kLrBounds);
  EXPECT_EQ(spec->stages[1].find, StageFind::kPlateau);
  EXPECT_EQ(spec->stages[2].find, StageFind::kNothing);
  ASSERT_EQ(spec->stages[2].refs.size(), 4u);
  EXPECT_EQ(spec->stages[2].refs[0].stage, "range_test");
  EXPECT_EQ(spec->stages[2].refs[0].where, "stages[2].config.train.lr_schedule.min_lr");
  EXPECT_EQ(spec->stages[2].refs[0].line, 25);
  auto expanded = ExpandSweep(*spec, {});
  ASSERT_OK(expanded.status());
  ASSERT_EQ(expanded->trials.size(), 1u);  // stage 1 alone
  const Json& c = expanded->trials[0].config;
  EXPECT_EQ(c["train"]["lr_schedule"]["type"], "range_test");
  EXPECT_EQ(c["train"]["epochs"], 12);
  EXPECT_EQ(c["model"]["arch"], "resnet8");
}

TEST(StagesSpecTest, LaterStagesCarryTheFoundValues) {
  Json found = {{"range_test", {{"min_lr", 0.02}, {"max_lr", 0.35}}}};
  auto plateau = ParseStageSpec(kScheme, "st.yaml", 1, found);
  ASSERT_OK(plateau.status());
  auto p = ExpandSweep(*plateau, {});
  ASSERT_OK(p.status());
  ASSERT_EQ(p->trials.size(), 1u);
  EXPECT_DOUBLE_EQ(p->trials[0].config["train"]["lr"].get<double>(), 0.35);
  EXPECT_EQ(p->trials[0].config["train"]["lr_schedule"]["type"], "constant");
  EXPECT_EQ(p->trials[0].config["method"]["loss"], "ldam");

  // Stage 3 before the plateau's values are known: refused, not guessed.
  auto early = ParseStageSpec(kScheme, "st.yaml", 2, found);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(early.status().message().find("${plateau.milestones}"), std::string::npos) << early.status().message();

  found["plateau"] = {{"drw_epoch", 7}, {"epoch", 6}, {"milestones", {7, 10}}};
  auto grid = ParseStageSpec(kScheme, "st.yaml", 2, found);
  ASSERT_OK(grid.status());
  EXPECT_EQ(grid->stage_index, 2);
  auto g = ExpandSweep(*grid, {});
  ASSERT_OK(g.status());
  ASSERT_EQ(g->trials.size(), 4u);  // 2 losses x 2 seeds
  for (const auto& t : g->trials) {
    EXPECT_DOUBLE_EQ(t.config["train"]["lr_schedule"]["min_lr"].get<double>(), 0.02);
    EXPECT_DOUBLE_EQ(t.config["train"]["lr_schedule"]["max_lr"].get<double>(), 0.35);
    EXPECT_EQ(t.config["train"]["lr_schedule"]["milestones"], Json::array({7, 10}));
    EXPECT_EQ(t.config["train"]["lr_schedule"]["type"], "triangular");
    EXPECT_EQ(t.config["method"]["drw_epoch"], 7);
    EXPECT_EQ(t.config["train"]["epochs"], 12);
  }
}

TEST(StagesSpecTest, AFoundValueOutsideTheSchemaIsAnError) {
  Json found = {{"range_test", {{"min_lr", 0.02}, {"max_lr", 50.0}}}};
  auto plateau = ParseStageSpec(kScheme, "st.yaml", 1, found);
  ASSERT_FALSE(plateau.ok());
  EXPECT_NE(plateau.status().message().find("train.lr"), std::string::npos) << plateau.status().message();
}

TEST(StagesSpecTest, BadReferences) {
  ExpectError(Replace(kScheme, "${range_test.max_lr}\n      train.lr_schedule.type", "${rangetest.max_lr}\n      train.lr_schedule.type"),
              18, "stages[1].config.train.lr", "no stage 'rangetest' before this one (did you mean 'range_test'?)");
  ExpectError(Replace(kScheme, "${range_test.min_lr}", "${range_test.lowest}"), 25,
              "stages[2].config.train.lr_schedule.min_lr", "finds min_lr, max_lr; no 'lowest'");
  ExpectError(Replace(kScheme, "${range_test.max_lr}\n      train.lr_schedule.type", "${plateau.drw_epoch}\n      train.lr_schedule.type"),
              18, "stages[1].config.train.lr", "stage 'plateau' is this stage");
  ExpectError(Replace(kScheme, "${range_test.max_lr}\n      train.lr_schedule.type", "${grid.drw_epoch}\n      train.lr_schedule.type"),
              18, "stages[1].config.train.lr", "stage 'grid' is a later stage; a stage takes values only from stages before it");
  ExpectError(Replace(kScheme, "${plateau.drw_epoch}", "epoch_${plateau.drw_epoch}"), 28,
              "stages[2].config.method.drw_epoch", "a reference is the whole value");
  ExpectError(Replace(kScheme, "  train: {epochs: 12}", "  train: {epochs: 12, lr: \"${range_test.max_lr}\"}"), 5,
              "config.train.lr", "put a ${stage.value} in the config of the stage that uses it");
  ExpectError(Replace(kScheme, "  train: {epochs: 12}", "  train: {epochs: 12, lr: ${range_test.max_lr}}"), 5,
              "malformed YAML", "a ${stage.value} inside { } or [ ] must be quoted");
  // A reference whose value the key cannot take: a list where a number goes.
  ExpectError(Replace(kScheme, "${plateau.drw_epoch}", "${plateau.milestones}"), 28, "config.method.drw_epoch", "");
}

TEST(StagesSpecTest, BadStages) {
  ExpectError(Replace(kScheme, "find: lr_bounds", "find: lr_bound"), 9, "stages[0].find",
              "unknown rule 'lr_bound'; expected lr_bounds or plateau (did you mean 'lr_bounds'?)");
  ExpectError(Replace(kScheme, "rule: {smooth: 3, rise: 0.1}", "rule: {smooth: 4}"), 10, "stages[0].rule.smooth",
              "must be odd");
  ExpectError(Replace(kScheme, "rule: {smooth: 3, rise: 0.1}", "rule: {window: 4}"), 10, "stages[0].rule.window",
              "unknown setting of the lr_bounds rule");
  ExpectError(Replace(kScheme, "type: range_test,", "type: constant,"), 9, "stages[0].find",
              "set train.lr_schedule.type: range_test");
  ExpectError(Replace(kScheme, "train.lr_schedule.type: constant", "train.lr_schedule.type: step"), 15,
              "stages[1].find", "set train.lr_schedule.type: constant");
  ExpectError(Replace(kScheme, "  - name: grid\n", "  - name: grid\n    find: plateau\n"), 21, "stages[2].find",
              "the last stage's findings would feed nothing");
  ExpectError(Replace(kScheme, "  - name: grid", "  - name: plateau"), 20, "stages[2].name", "used twice");
  ExpectError(Replace(kScheme, "    find: plateau\n", "    find: plateau\n    seeds: [0, 1]\n"), 16,
              "stages[1].seeds", "runs one trial");
  ExpectError(Replace(kScheme, "    config:\n      method.loss: ldam", "    colour: red\n    config:\n      method.loss: ldam"),
              16, "stages[1].colour", "unknown key");
  ExpectError(Replace(kScheme, "seeds: [0]\n", "seeds: [0]\nearly_terminate: {type: median, min_iter: 2}\n"), 7,
              "early_terminate", "not supported with stages");
  ExpectError(Replace(kScheme, "seeds: [0]\n", "seeds: [0]\nparameters:\n  train.lr: {values: [0.1]}\n"), 7,
              "parameters", "belong to the stage");
  ExpectError(Replace(kScheme, "seeds: [0]\n", "seeds: [0]\nmethod: random\n"), 7, "method",
              "stages run grids");
}

TEST(StagesSpecTest, DescribeSaysWhatEachStageDoes) {
  auto text = DescribeStages(kScheme, "st.yaml");
  ASSERT_OK(text.status());
  EXPECT_NE(text->find("1. range_test: 1 trial(s)"), std::string::npos) << *text;
  EXPECT_NE(text->find("3. grid: 4 trial(s) (made when the stage before has ended)"), std::string::npos) << *text;
  EXPECT_NE(text->find("stages[1].config.train.lr <- ${range_test.max_lr}"), std::string::npos) << *text;
  EXPECT_NE(text->find("plateau rule"), std::string::npos) << *text;
  EXPECT_EQ(DescribeStages("config: {train: {epochs: 2}}\n", "plain.yaml").value(), "");
}

}  // namespace
}  // namespace ltsweep::spec
