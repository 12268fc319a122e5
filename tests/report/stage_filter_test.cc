// Which trials of a staged sweep a results table shows
// (report/stage_filter.h): the latest stage with trials by default, --stage
// K, --all-stages with a stage column; clear errors for stages a sweep does
// not have; the HTML report's results, curves and best trial of one stage.
#include "report/stage_filter.h"

#include <gtest/gtest.h>

#include "report/html_report.h"
#include "report/table_format.h"
#include "tests/report/xml_check.h"
#include "tests/testing/test_util.h"

namespace ltsweep::report {
namespace {

// Trial `ordinal` (id ordinal + 1) with a constant val_error.
TrialHistory Trial(int ordinal, const nlohmann::json& config, double error) {
  TrialHistory t;
  t.trial.id = ordinal + 1;
  t.trial.sweep_id = 3;
  t.trial.ordinal = ordinal;
  t.trial.state = TrialState::kSucceeded;
  t.trial.config_json = config.dump();
  for (int e = 0; e < 3; ++e) t.metrics.scalars["val_error"].push_back({e, error + 0.01 * (2 - e)});
  return t;
}

StageRecord Stage(int stage, const std::string& name, const std::string& state, int64_t first, int n) {
  StageRecord s;
  s.sweep_id = 3;
  s.stage = stage;
  s.name = name;
  s.state = state;
  s.first_ordinal = first;
  s.n_trials = n;
  return s;
}

// A finished scheme: the range test (ordinal 0) and the plateau run (1) have
// lower errors than the grid (2..5: ce and ldam, two seeds each).
SweepHistory Scheme() {
  SweepHistory h;
  h.sweep.id = 3;
  h.sweep.name = "scheme";
  h.sweep.state = SweepState::kDone;
  h.stages = {Stage(0, "range_test", "done", 0, 1), Stage(1, "plateau", "done", 1, 1), Stage(2, "grid", "done", 2, 4)};
  h.trials.push_back(Trial(0, {{"train", {{"lr_schedule", {{"type", "range_test"}}}}}}, 0.10));
  h.trials.push_back(Trial(1, {{"train", {{"lr_schedule", {{"type", "constant"}}}}}}, 0.12));
  int ordinal = 2;
  for (const char* loss : {"ce", "ldam"}) {
    for (int seed = 0; seed < 2; ++seed) {
      h.trials.push_back(Trial(ordinal++,
                               {{"method", {{"loss", loss}}},
                                {"train", {{"seed", seed}, {"lr_schedule", {{"type", "step"}}}}}},
                               std::string(loss) == "ce" ? 0.30 : 0.25));
    }
  }
  return h;
}

TEST(StageFilterTest, DefaultIsTheLatestStageWithTrials) {
  SweepHistory h = Scheme();
  auto view = ChooseStage(3, h.stages, {});
  ASSERT_OK(view);
  EXPECT_EQ(view->stage, 2);
  KeepStageTrials(*view, h.trials);
  ASSERT_EQ(h.trials.size(), 4u);
  EXPECT_EQ(h.trials.front().trial.ordinal, 2);
  EXPECT_EQ(view->left_out, 2u);
  EXPECT_EQ(view->Note(), "stage 3 of 3 (grid); 2 trials of earlier stages not shown: --stage K shows stage K, "
                          "--all-stages every stage");
  EXPECT_EQ(view->Note(/*with_flags=*/false), "stage 3 of 3 (grid); 2 trials of earlier stages not shown");

  // While the plateau run is running, the grid waiting: the plateau run.
  SweepHistory running = Scheme();
  running.stages[1].state = "running";
  running.stages[2] = Stage(2, "grid", "waiting", 0, 0);
  running.trials.resize(2);
  view = ChooseStage(3, running.stages, {});
  ASSERT_OK(view);
  EXPECT_EQ(view->stage, 1);
  KeepStageTrials(*view, running.trials);
  ASSERT_EQ(running.trials.size(), 1u);
  EXPECT_EQ(running.trials[0].trial.ordinal, 1);
}

TEST(StageFilterTest, StageKAndAllStages) {
  SweepHistory h = Scheme();
  auto first = ChooseStage(3, h.stages, {1, false});
  ASSERT_OK(first);
  std::vector<TrialHistory> shown = StageTrials(*first, h.trials);
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].trial.id, 1);
  EXPECT_EQ(first->Note(), "stage 1 of 3 (range_test); 5 trials of other stages not shown: --stage K shows stage K, "
                           "--all-stages every stage");

  auto all = ChooseStage(3, h.stages, {0, true});
  ASSERT_OK(all);
  EXPECT_FALSE(all->filters());
  ResultsOptions o;
  AddStageColumn(*all, /*machine_format=*/false, o);
  auto table = AggregateResults(h.trials, o);
  ASSERT_OK(table);
  ASSERT_EQ(table->key_columns.front(), "stage");
  ASSERT_EQ(table->rows.size(), 4u);  // no row mixes two stages
  EXPECT_EQ(table->rows[0].key_values[0], "1");
  EXPECT_EQ(table->rows[1].key_values[0], "2");
  EXPECT_EQ(table->rows[2].key_values[0], "3");
  EXPECT_EQ(table->rows[3].key_values[0], "3");
  // JSON: the stage as a number.
  const nlohmann::json j = nlohmann::json::parse(FormatResults(*table, OutputFormat::kJson));
  EXPECT_EQ(j["rows"][0]["stage"], 1);

  // One stage: a stage column for the machine formats only.
  auto grid = ChooseStage(3, h.stages, {});
  ResultsOptions human, machine;
  AddStageColumn(*grid, false, human);
  AddStageColumn(*grid, true, machine);
  EXPECT_TRUE(human.stages.empty());
  EXPECT_EQ(machine.stages.size(), 3u);
}

TEST(StageFilterTest, StagesASweepDoesNotHaveAreRefused) {
  const SweepHistory h = Scheme();
  auto beyond = ChooseStage(3, h.stages, {4, false});
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(beyond.status().message(), "--stage 4: sweep 3 has 3 stages (1..3)");
  EXPECT_EQ(ChooseStage(3, h.stages, {1, true}).status().code(), StatusCode::kInvalidArgument);
  auto unstaged = ChooseStage(9, {}, {2, false});
  EXPECT_EQ(unstaged.status().message(), "--stage: sweep 9 has no stages (its spec has no stages:)");
  unstaged = ChooseStage(9, {}, {0, true});
  EXPECT_EQ(unstaged.status().code(), StatusCode::kInvalidArgument);
  // Without stages and without a choice: nothing filtered, no note.
  auto plain = ChooseStage(9, {}, {});
  ASSERT_OK(plain);
  EXPECT_FALSE(plain->filters());
  EXPECT_EQ(plain->Note(), "");
}

TEST(StageFilterTest, ReportShowsOneStagesResultsAndItsBestTrial) {
  const SweepHistory h = Scheme();
  ReportOptions o;
  auto html = RenderHtmlReport(h, o);
  ASSERT_OK(html);
  const testing::XmlCheck check = testing::CheckXml(*html);
  EXPECT_TRUE(check.ok) << check.error;
  EXPECT_NE(html->find("<p class=\"note\">Stage 3 of 3 (grid); 2 trials of earlier stages not shown"),
            std::string::npos);
  // The best trial is the grid's best (ldam: trials 5 and 6), not the range test (trial 1).
  EXPECT_NE(html->find("<h2>Best trial: 5</h2>"), std::string::npos) << *html;
  EXPECT_EQ(html->find("<th>stage</th><th>method.loss"), std::string::npos);

  o.stage = {0, true};
  html = RenderHtmlReport(h, o);
  ASSERT_OK(html);
  EXPECT_NE(html->find("<h2>Best trial: 1</h2>"), std::string::npos);
  EXPECT_NE(html->find("<th>stage</th>"), std::string::npos);
  EXPECT_NE(html->find("All 3 stages (the stage column says which)."), std::string::npos);

  o.stage = {5, false};
  EXPECT_EQ(RenderHtmlReport(h, o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ltsweep::report
