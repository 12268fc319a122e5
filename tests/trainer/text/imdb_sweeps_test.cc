// The shipped IMDB sweeps run: every arm of sweeps/imdb_table1.yaml (ERM, RS,
// RW, SMOTE) trains to the end on the fixture reviews with the sweep's own
// trial config; only the data location and the fixture's scale are
// overridden (data.root, data.cache_dir, keep_fraction 0.5 and smote_k 2 so
// its 8 + 4 training reviews have a minority class SMOTE can work with).
#include <cstdio>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/config_schema.h"
#include "common/trainer_contract.h"
#include "spec/expand.h"
#include "spec/sweep_spec.h"
#include "tests/testing/test_util.h"
#include "trainer/core/training_options.h"
#include "trainer/text/text_trial.h"

namespace ltsweep::trainer {
namespace {

using ltsweep::testing::SourceDir;
using ltsweep::testing::TempDir;
using nlohmann::json;

TEST(ImdbSweeps, EveryArmOfTable1Runs) {
  auto spec = spec::LoadSweepSpecFile((SourceDir() / "sweeps" / "imdb_table1.yaml").string());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto expanded = spec::ExpandSweep(*spec);
  ASSERT_TRUE(expanded.ok()) << expanded.status().ToString();
  TempDir dir;
  std::set<std::string> arms;
  for (const auto& trial : expanded->trials) {
    // One trial per arm: the smallest grid point.
    const json& c = trial.config;
    if (c["train"]["batch_size"] != 32 || c["data"]["max_features"] != 4000 || c["train"]["epochs"] != 2) continue;
    json partial = c;
    partial["data"]["root"] = (SourceDir() / "tests/trainer/text/fixtures/aclImdb").string();
    partial["data"]["cache_dir"] = (dir.path() / "cache").string();
    partial["data"]["imbalance"]["keep_fraction"] = 0.5;
    partial["method"]["smote_k"] = 2;
    auto config = ResolveTrialConfig(partial);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    const std::string arm = trial.params.dump();
    std::FILE* f = std::tmpfile();
    EventWriter events(f);
    int rc = -1;
    EXPECT_NO_THROW(rc = RunTextTrial(*config, TrainingOptions::FromConfig(*config), {}, events)) << arm;
    EXPECT_EQ(rc, contract::kExitOk) << arm;
    std::rewind(f);
    int epochs = 0;
    bool synthetic = false;
    char buf[1 << 16];
    while (std::fgets(buf, sizeof buf, f) != nullptr) {
      json ev = json::parse(buf);
      if (ev["event"] != contract::kEventEpoch) continue;
      ++epochs;
      synthetic = synthetic || ev.value("synthetic_samples", 0) > 0;
    }
    std::fclose(f);
    EXPECT_EQ(epochs, 2) << arm;
    if (c["method"]["oversample"] == "smote") {
      EXPECT_TRUE(synthetic) << arm;
    }
    arms.insert(arm);
  }
  EXPECT_EQ(arms.size(), 4u);
}

}  // namespace
}  // namespace ltsweep::trainer
