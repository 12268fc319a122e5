// A staged sweep through the client handler, without sockets: GetSweep sends
// each stage's evidence without its curve (progress displays poll it) unless
// asked with_stage_curves, then exactly as stored; every stage carries its
// first ordinal and every trial its ordinal, so a remote reader can tell the
// stages' trials apart (report/stage_filter.h); the conversion back gives the
// store's records.
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coordinator/client_handler.h"
#include "coordinator/convert.h"
#include "store/store.h"
#include "tests/coordinator/handler_test_fixture.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using ::ltsweep::testing::TempDir;

class StageCurvesHandlerTest : public HandlerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenHandlers());
    NewSweep sweep;
    sweep.name = "scheme";
    sweep.spec_yaml = "name: scheme\n";
    sweep.trials = {{"h0", R"({"train":{"lr_schedule":{"type":"range_test"}}})"}};
    sweep.stages = {{"range_test", "lr_bounds"}, {"grid", ""}};
    auto created = store_->CreateSweep(sweep);
    ASSERT_OK(created);
    sweep_id_ = created->sweep_id;
    for (int i = 0; i < 500; ++i) curve_.push_back({{"lr", 0.001 * (i + 1)}, {"accuracy", 0.1}, {"loss", 2.0}});
    evidence_ = nlohmann::json{{"rule", "made up"}, {"curve_kind", "per_step"}, {"curve", curve_}}.dump();
    StageAdvance advance;
    advance.sweep_id = sweep_id_;
    advance.stage = 0;
    advance.found_json = R"({"min_lr":0.02,"max_lr":0.3})";
    advance.evidence_json = evidence_;
    advance.next_trials = {{"h1", R"({"method":{"loss":"ce"}})"}, {"h2", R"({"method":{"loss":"ldam"}})"}};
    ASSERT_OK(store_->AdvanceStage(advance));
  }

  v1::SweepInfo Get(bool with_curves) {
    v1::GetSweepRequest request;
    request.set_sweep_id(sweep_id_);
    request.set_with_stage_curves(with_curves);
    v1::SweepInfo info;
    EXPECT_OK(clients_->GetSweep(request, &info));
    return info;
  }

  int64_t sweep_id_ = 0;
  nlohmann::json curve_ = nlohmann::json::array();
  std::string evidence_;
};

TEST_F(StageCurvesHandlerTest, CurveOnlyWhenAskedAndOrdinalsAlways) {
  const v1::SweepInfo lean = Get(false);
  ASSERT_EQ(lean.stages_size(), 2);
  const nlohmann::json lean_evidence = nlohmann::json::parse(lean.stages(0).evidence_json());
  EXPECT_EQ(lean_evidence["rule"], "made up");
  EXPECT_FALSE(lean_evidence.contains("curve"));
  EXPECT_EQ(lean.stages(0).first_ordinal(), 0);
  EXPECT_EQ(lean.stages(1).first_ordinal(), 1);
  EXPECT_EQ(lean.stages(1).trials(), 2);

  const v1::SweepInfo whole = Get(true);
  EXPECT_EQ(whole.stages(0).evidence_json(), evidence_);
  EXPECT_GT(whole.ByteSizeLong(), 10 * lean.ByteSizeLong());  // why it is not sent to every poll

  // Back to the store's records: the same stages, the curve included.
  auto stored = store_->ListStages(sweep_id_);
  ASSERT_OK(stored);
  const std::vector<StageRecord> back = StagesFromProto(whole);
  ASSERT_EQ(back.size(), stored->size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].stage, (*stored)[i].stage);
    EXPECT_EQ(back[i].name, (*stored)[i].name);
    EXPECT_EQ(back[i].state, (*stored)[i].state);
    EXPECT_EQ(back[i].first_ordinal, (*stored)[i].first_ordinal);
    EXPECT_EQ(back[i].n_trials, (*stored)[i].n_trials);
    EXPECT_EQ(back[i].found_json, (*stored)[i].found_json);
    EXPECT_EQ(back[i].evidence_json, (*stored)[i].evidence_json);
  }

  v1::ListTrialsRequest list;
  list.set_sweep_id(sweep_id_);
  v1::ListTrialsResponse trials;
  ASSERT_OK(clients_->ListTrials(list, &trials));
  ASSERT_EQ(trials.trials_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(trials.trials(i).ordinal(), i);
    EXPECT_EQ(TrialFromProto(trials.trials(i)).ordinal, i);
  }
}

}  // namespace
}  // namespace ltsweep::coordinator
