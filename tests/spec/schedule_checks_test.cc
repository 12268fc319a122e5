// DeferralWarnings: DRW/DRS starting before the learning rate's first drop
// is reported (not refused), naming both epochs, once per distinct warning.
#include "spec/schedule_checks.h"

#include <gtest/gtest.h>

#include "spec/expand.h"
#include "spec/sweep_spec.h"
#include "tests/testing/test_util.h"

namespace ltsweep::spec {
namespace {

ExpandedSweep Expand(const std::string& yaml) {
  auto spec = ParseSweepSpec(yaml, "t.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  auto expanded = ExpandSweep(*spec);
  EXPECT_TRUE(expanded.ok()) << expanded.status().ToString();
  return *expanded;
}

constexpr const char* kBase = R"(
config:
  train:
    epochs: 10
    lr_schedule: {type: reference, warmup_epochs: 2, milestones: [8, 9], gamma: 0.01}
)";

TEST(DeferralWarningsTest, DrwBeforeTheFirstDropNamesBothEpochs) {
  ExpandedSweep e = Expand(std::string(kBase) + R"(
seeds: [0, 1]
parameters:
  method.drw_epoch: {values: [5, 8, 9]}
  method.defer: {value: drw}
)");
  ASSERT_EQ(e.trials.size(), 6u);
  std::vector<std::string> w = DeferralWarnings(e);
  // drw_epoch 5 warns (twice: two seeds, reported once); 8 (the drop) and 9 (after it) do not.
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("method.drw_epoch 5"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("DRW"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("first drop at epoch 8"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("(2 trial configs)"), std::string::npos) << w[0];
}

TEST(DeferralWarningsTest, DrsAndDistinctEpochsGetOneLineEach) {
  ExpandedSweep e = Expand(std::string(kBase) + R"(
parameters:
  method.drw_epoch: {values: [3, 7]}
  method.defer: {values: [drs, none]}
)");
  std::vector<std::string> w = DeferralWarnings(e);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("method.drw_epoch 3: DRS starts before"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("method.drw_epoch 7: DRS starts before"), std::string::npos) << w[1];
  EXPECT_EQ(w[0].find("trial configs"), std::string::npos) << w[0];
}

TEST(DeferralWarningsTest, NoDeferralNoWarning) {
  ExpandedSweep e = Expand(std::string(kBase) + "parameters:\n  method.loss: {values: [ce, ldam]}\n");
  EXPECT_TRUE(DeferralWarnings(e).empty());
}

TEST(DeferralWarningsTest, ScheduleWithoutADrop) {
  ExpandedSweep e = Expand(R"(
config:
  train: {epochs: 10, lr_schedule: {type: constant}}
  method: {defer: drw, drw_epoch: 6}
)");
  std::vector<std::string> w = DeferralWarnings(e);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("does not drop within the 10 epochs"), std::string::npos) << w[0];

  // Milestones past the end of the run: no drop either.
  e = Expand(R"(
config:
  train: {epochs: 10, lr_schedule: {type: step, milestones: [12]}}
  method: {defer: drw, drw_epoch: 6}
)");
  ASSERT_EQ(DeferralWarnings(e).size(), 1u);
}

TEST(DeferralWarningsTest, FirstLrDropEpoch) {
  ExpandedSweep e = Expand(std::string(kBase) + "parameters:\n  train.lr_schedule.gamma: {values: [0.1, 1.0]}\n");
  ASSERT_EQ(e.trials.size(), 2u);
  EXPECT_EQ(FirstLrDropEpoch(e.trials[0].config), std::optional<int64_t>(8));
  EXPECT_EQ(FirstLrDropEpoch(e.trials[1].config), std::nullopt);  // gamma 1: nothing drops
}

TEST(DeferralWarningsTest, CommittedSweepsStartDeferralAtTheFirstDrop) {
  for (const char* file : {"quickstart.yaml", "fmnist_lt_study.yaml"}) {
    auto spec = LoadSweepSpecFile((testing::SourceDir() / "sweeps" / file).string());
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    auto e = ExpandSweep(*spec);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_TRUE(DeferralWarnings(*e).empty()) << file << ": " << DeferralWarnings(*e)[0];
  }
}

}  // namespace
}  // namespace ltsweep::spec
