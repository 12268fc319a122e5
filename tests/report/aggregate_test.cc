#include "report/aggregate.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"

namespace ltsweep::report {
namespace {

using nlohmann::json;

// A succeeded trial of `loss` with `seed` whose val_error falls to `best` at
// epoch 2 and ends at `last` at epoch 3.
TrialHistory Trial(int64_t id, const std::string& loss, int seed, double best, double last) {
  TrialHistory t;
  t.trial.id = id;
  t.trial.sweep_id = 1;
  t.trial.state = TrialState::kSucceeded;
  t.trial.config_json =
      json({{"method", {{"loss", loss}, {"defer", "none"}}}, {"train", {{"seed", seed}, {"lr", 0.1}}}}).dump();
  t.metrics.scalars["val_error"] = {{0, 0.9}, {1, 0.6}, {2, best}, {3, last}};
  t.metrics.scalars["train_loss"] = {{0, 2.0}, {1, 1.5}, {2, 1.0}, {3, 0.8}};
  return t;
}

// Applies `edit` to the trial's config.
template <typename Edit>
void EditConfig(TrialHistory& t, Edit edit) {
  json config = json::parse(t.trial.config_json);
  edit(config);
  t.trial.config_json = config.dump();
}

std::vector<TrialHistory> FiveTrials() {
  return {Trial(1, "ce", 0, 0.30, 0.31), Trial(2, "ce", 1, 0.32, 0.35), Trial(3, "ce", 2, 0.34, 0.36),
          Trial(4, "ldam", 0, 0.25, 0.26), Trial(5, "ldam", 1, 0.27, 0.30)};
}

TEST(MeanStdTest, SampleStdWithNMinusOne) {
  Cell c = MeanStd({1, 2, 3, 4});
  ASSERT_TRUE(c.value && c.std);
  EXPECT_DOUBLE_EQ(*c.value, 2.5);
  EXPECT_NEAR(*c.std, std::sqrt(5.0 / 3.0), 1e-12);
  Cell one = MeanStd({7});
  EXPECT_DOUBLE_EQ(*one.value, 7);
  EXPECT_FALSE(one.std.has_value());
  EXPECT_FALSE(MeanStd({}).value.has_value());
}

TEST(ReduceTrialTest, BestAndLastHonourGoalAndSkipNaN) {
  TrialHistory t = Trial(1, "ce", 0, 0.2, 0.4);
  t.metrics.scalars["val_error"].push_back({4, std::nan("")});
  auto best = ReduceTrial(t, "val_error", "minimize", true);
  ASSERT_TRUE(best);
  EXPECT_DOUBLE_EQ(best->value, 0.2);
  EXPECT_EQ(best->epoch, 2);
  auto last = ReduceTrial(t, "val_error", "minimize", false);
  EXPECT_DOUBLE_EQ(last->value, 0.4);
  EXPECT_EQ(last->epoch, 3);
  auto max = ReduceTrial(t, "val_error", "maximize", true);
  EXPECT_DOUBLE_EQ(max->value, 0.9);
  EXPECT_EQ(max->epoch, 0);
  EXPECT_FALSE(ReduceTrial(t, "no_such_metric", "minimize", true));
}

TEST(AggregateTest, MeanStdOverSeedsGroupedByVaryingKey) {
  ResultsOptions o;  // mean_std of best epochs, percent
  auto table = AggregateResults(FiveTrials(), o);
  ASSERT_OK(table);
  // train.seed varies but is excluded; only method.loss varies otherwise.
  ASSERT_EQ(table->key_columns, std::vector<std::string>{"method.loss"});
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->unit, "%");
  const ResultsRow& ce = table->rows[0];
  EXPECT_EQ(ce.key_values, std::vector<std::string>{"ce"});
  EXPECT_EQ(ce.n, 3);
  EXPECT_EQ(ce.trial_ids, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_NEAR(*ce.cells[0].value, 32.0, 1e-9);  // (30 + 32 + 34) / 3
  EXPECT_NEAR(*ce.cells[0].std, 2.0, 1e-9);     // sqrt((4 + 0 + 4) / 2)
  const ResultsRow& ldam = table->rows[1];
  EXPECT_EQ(ldam.key_values, std::vector<std::string>{"ldam"});
  EXPECT_NEAR(*ldam.cells[0].value, 26.0, 1e-9);
  EXPECT_NEAR(*ldam.cells[0].std, std::sqrt(2.0), 1e-9);
}

TEST(AggregateTest, LastEpochMeans) {
  ResultsOptions o;
  o.agg = AggMode::kLast;
  auto table = AggregateResults(FiveTrials(), o);
  ASSERT_OK(table);
  EXPECT_NEAR(*table->rows[0].cells[0].value, (31.0 + 35.0 + 36.0) / 3, 1e-9);
  EXPECT_NEAR(*table->rows[1].cells[0].value, 28.0, 1e-9);
  EXPECT_NEAR(*table->rows[1].cells[0].std, std::sqrt(8.0), 1e-9);  // 26, 30
}

TEST(AggregateTest, BestPicksTheGroupsBestTrial) {
  ResultsOptions o;
  o.agg = AggMode::kBest;
  o.percent = false;
  auto table = AggregateResults(FiveTrials(), o);
  ASSERT_OK(table);
  EXPECT_EQ(table->unit, "");
  EXPECT_DOUBLE_EQ(*table->rows[0].cells[0].value, 0.30);
  EXPECT_FALSE(table->rows[0].cells[0].std.has_value());
  EXPECT_EQ(table->rows[0].trial_ids, std::vector<int64_t>{1});
  EXPECT_EQ(table->rows[0].n, 3);
  EXPECT_EQ(table->rows[1].trial_ids, std::vector<int64_t>{4});
}

TEST(AggregateTest, ExplicitGroupByAndSingleTrialGroupsHaveNoStd) {
  ResultsOptions o;
  o.group_by = {"method.loss", "train.seed"};
  auto table = AggregateResults(FiveTrials(), o);
  ASSERT_OK(table);
  ASSERT_EQ(table->rows.size(), 5u);
  EXPECT_EQ(table->rows[1].key_values, (std::vector<std::string>{"ce", "1"}));
  EXPECT_NEAR(*table->rows[1].cells[0].value, 32.0, 1e-9);
  EXPECT_FALSE(table->rows[1].cells[0].std.has_value());
}

TEST(AggregateTest, UnknownGroupKeyIsAnError) {
  ResultsOptions o;
  o.group_by = {"method.los"};
  auto table = AggregateResults(FiveTrials(), o);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(table.status().message().find("method.los"), std::string::npos);
  EXPECT_NE(table.status().message().find("did you mean method.loss"), std::string::npos);
}

TEST(AggregateTest, FailedTrialsCountOnlyWhenAskedAndLinkedAlways) {
  std::vector<TrialHistory> trials = FiveTrials();
  trials[0].trial.state = TrialState::kFailed;  // best 0.30 no longer counts
  trials[1].trial.state = TrialState::kLinked;  // reuses an earlier success: counts
  ResultsOptions o;
  auto table = AggregateResults(trials, o);
  ASSERT_OK(table);
  EXPECT_EQ(table->rows[0].n, 2);
  EXPECT_NEAR(*table->rows[0].cells[0].value, 33.0, 1e-9);
  o.include_unfinished = true;
  table = AggregateResults(trials, o);
  ASSERT_OK(table);
  EXPECT_EQ(table->rows[0].n, 3);
}

TEST(AggregateTest, NoTrialWithTheMetricIsNotFound) {
  ResultsOptions o;
  o.metric = "val_acc";
  auto table = AggregateResults(FiveTrials(), o);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kNotFound);
}

TEST(AggregateTest, ShotColumnsFromPerClassErrorAndCounts) {
  TrialHistory t = Trial(1, "ce", 0, 0.30, 0.31);
  t.metrics.payloads.push_back({-1, "start", R"({"class_counts":[500,150,50,10]})"});
  // At the best epoch (2); thresholds: many > 100, few < 20 (schema defaults).
  t.metrics.per_class["error"][2] = {0.1, 0.2, 0.4, 0.8};
  t.metrics.per_class["error"][3] = {0.9, 0.9, 0.9, 0.9};
  ResultsOptions o;
  o.columns = ExtraColumns::kShot;
  auto table = AggregateResults({t}, o);
  ASSERT_OK(table);
  ASSERT_EQ(table->value_columns.size(), 4u);
  EXPECT_EQ(table->value_columns[1], "many_shot_error");
  const ResultsRow& row = table->rows[0];
  EXPECT_NEAR(*row.cells[1].value, 15.0, 1e-9);
  EXPECT_NEAR(*row.cells[2].value, 40.0, 1e-9);
  EXPECT_NEAR(*row.cells[3].value, 80.0, 1e-9);

  // Thresholds come from the trial's config.
  EditConfig(t, [](json& c) { c["metrics"] = {{"many_shot_min", 400}, {"few_shot_max", 60}}; });
  ShotErrors s = ComputeShotErrors(t, 2);
  EXPECT_NEAR(*s.many, 0.1, 1e-12);
  EXPECT_NEAR(*s.medium, 0.2, 1e-12);
  EXPECT_NEAR(*s.few, 0.6, 1e-12);
}

TEST(AggregateTest, PerClassColumnsUseClassNames) {
  std::vector<TrialHistory> trials = {Trial(1, "ce", 0, 0.30, 0.31), Trial(2, "ce", 1, 0.32, 0.35)};
  trials[0].metrics.per_class["error"][2] = {0.1, 0.5};
  trials[1].metrics.per_class["error"][2] = {0.3, 0.5};
  trials[0].metrics.payloads.push_back({-1, "start", R"({"class_names":["neg","pos"]})"});
  ResultsOptions o;
  o.columns = ExtraColumns::kPerClass;
  auto table = AggregateResults(trials, o);
  ASSERT_OK(table);
  EXPECT_EQ(table->value_columns, (std::vector<std::string>{"val_error", "error[neg]", "error[pos]"}));
  EXPECT_TRUE(table->key_columns.empty());  // only the seed varies
  ASSERT_EQ(table->rows.size(), 1u);
  EXPECT_NEAR(*table->rows[0].cells[1].value, 20.0, 1e-9);
  EXPECT_NEAR(*table->rows[0].cells[1].std, std::sqrt(200.0), 1e-9);
  EXPECT_NEAR(*table->rows[0].cells[2].value, 50.0, 1e-9);
  EXPECT_NEAR(*table->rows[0].cells[2].std, 0.0, 1e-9);
}

TEST(AggregateTest, FindBestTrialAcrossTheSweep) {
  ResultsOptions o;
  auto best = FindBestTrial(FiveTrials(), o);
  ASSERT_OK(best);
  EXPECT_EQ(*best, 3u);  // trial 4, ldam seed 0, 0.25
  o.goal = "maximize";
  best = FindBestTrial(FiveTrials(), o);
  ASSERT_OK(best);
  EXPECT_EQ(*best, 0u);  // every trial starts at 0.9; the first wins the tie
}

TEST(AggregateTest, ParsersNameTheFlag) {
  EXPECT_EQ(*ParseAggMode("mean_std"), AggMode::kMeanStd);
  EXPECT_EQ(*ParseExtraColumns("shot"), ExtraColumns::kShot);
  auto bad = ParseAggMode("median");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--agg"), std::string::npos);
}

TEST(AggregateTest, VaryingKeysInSchemaOrder) {
  std::vector<TrialHistory> trials = {Trial(1, "ce", 0, 0.3, 0.3), Trial(2, "ldam", 1, 0.3, 0.3)};
  EditConfig(trials[1], [](json& c) {
    c["method"]["defer"] = "drw";
    c["data"] = {{"imbalance", {{"ratio", 10}}}};  // absent from trial 1: varies too
  });
  EXPECT_EQ(VaryingConfigKeys(trials),
            (std::vector<std::string>{"data.imbalance.ratio", "method.loss", "method.defer"}));
}

TEST(AggregateTest, GroupLabelAndConfigValueText) {
  json config = {{"train", {{"lr", 0.1}, {"lr_schedule", {{"milestones", {160, 180}}}}}}};
  EXPECT_EQ(ConfigValueText(config, "train.lr"), "0.1");
  EXPECT_EQ(ConfigValueText(config, "train.lr_schedule.milestones"), "[160,180]");
  EXPECT_EQ(ConfigValueText(config, "method.loss"), "-");
  EXPECT_EQ(GroupLabel({"method.loss", "method.defer"}, {"ldam", "drw"}, 3), "loss=ldam defer=drw");
  EXPECT_EQ(GroupLabel({}, {}, 3), "trial 3");
}

}  // namespace
}  // namespace ltsweep::report
