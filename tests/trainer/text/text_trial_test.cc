#include "trainer/text/text_trial.h"

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_schema.h"
#include "common/trainer_contract.h"
#include "tests/testing/test_util.h"
#include "trainer/core/errors.h"
#include "trainer/core/training_options.h"
#include "trainer/text/bilstm.h"

namespace ltsweep::trainer {
namespace {

using ltsweep::testing::SourceDir;
using ltsweep::testing::TempDir;
using nlohmann::json;

json Config(const TempDir& dir, json overrides) {
  json partial = {
      {"data",
       {{"dataset", "imdb"},
        {"root", (SourceDir() / "tests/trainer/text/fixtures/aclImdb").string()},
        {"cache_dir", (dir.path() / "cache").string()},
        {"imbalance", {{"keep_fraction", 1.0}}},
        {"val_split", 0.25},
        {"max_features", 60},
        {"max_len", 20}}},
      {"model", {{"arch", "logreg"}, {"l2", 10.0}}},
      {"train", {{"seed", 3}, {"epochs", 1}}},
  };
  partial.merge_patch(overrides);
  auto resolved = ResolveTrialConfig(partial);
  EXPECT_TRUE(resolved.ok()) << resolved.status().ToString();
  return resolved.ok() ? *resolved : json();
}

struct Run {
  int rc = -1;
  std::vector<json> events;
  std::vector<json> Of(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& e : events)
      if (e["event"] == kind) out.push_back(e);
    return out;
  }
};

Run RunTrial(const json& config, const TrialRuntime& rt = {}) {
  Run run;
  std::FILE* f = std::tmpfile();
  EventWriter events(f);
  run.rc = RunTextTrial(config, TrainingOptions::FromConfig(config), rt, events);
  std::rewind(f);
  char buf[1 << 16];
  while (std::fgets(buf, sizeof buf, f) != nullptr) run.events.push_back(json::parse(buf));
  std::fclose(f);
  return run;
}

TEST(RunTextTrial, LogisticRegressionEmitsStartEpochDoneAndBeatsChance) {
  TempDir dir;
  auto run = RunTrial(Config(dir, {{"method", {{"reweight", "inverse"}}}}));
  EXPECT_EQ(run.rc, contract::kExitOk);
  ASSERT_EQ(run.Of("start").size(), 1u);
  ASSERT_EQ(run.Of("epoch").size(), 1u);
  ASSERT_EQ(run.Of("done").size(), 1u);
  auto start = run.Of("start")[0];
  EXPECT_EQ(start["train_class_counts"], json::array({6, 6}));
  EXPECT_EQ(start["test_size"], 8);
  auto epoch = run.Of("epoch")[0];
  EXPECT_EQ(epoch["epoch"], 0);
  EXPECT_LT(epoch["val_error"].get<double>(), 0.5);
  EXPECT_EQ(epoch["per_class_error"].size(), 2u);
  EXPECT_EQ(epoch["confusion"].size(), 2u);
  auto done = run.Of("done")[0];
  EXPECT_DOUBLE_EQ(done["mean_error"].get<double>(),
                   (epoch["error_pos"].get<double>() + epoch["error_neg"].get<double>()) / 2);
  EXPECT_FALSE(start["cache_hit"].get<bool>());
  // A second trial with another model reuses the cached preprocessing.
  auto nb = RunTrial(Config(dir, {{"model", {{"arch", "naive_bayes"}}}}));
  EXPECT_TRUE(nb.Of("start")[0]["cache_hit"].get<bool>());
  EXPECT_LT(nb.Of("done")[0]["last_val_error"].get<double>(), 0.5);
}

TEST(RunTextTrial, SmoteOnTfidfForLogisticRegression) {
  TempDir dir;
  auto run = RunTrial(Config(dir, {{"data", {{"imbalance", {{"keep_fraction", 0.5}}}}},
                                   {"method", {{"oversample", "smote"}, {"smote_k", 2}}}}));
  EXPECT_EQ(run.rc, contract::kExitOk);
  auto epoch = run.Of("epoch")[0];
  EXPECT_EQ(epoch["synthetic_samples"], 3);  // 3 negatives brought up to 6 positives
  EXPECT_LT(epoch["val_error"].get<double>(), 0.5);
}

TEST(RunTextTrial, BiLstmTrainsOnTheFixtureAndBeatsChance) {
  TempDir dir;
  auto config = Config(dir, {{"model",
                              {{"arch", "bilstm"}, {"embedding_dim", 16}, {"hidden_size", 16}, {"dropout", 0.0}}},
                             {"train",
                              {{"epochs", 12}, {"batch_size", 4}, {"optimizer", "adam"}, {"lr", 0.02},
                               {"weight_decay", 0.0}}}});
  TrialRuntime rt;
  rt.checkpoint_dir = (dir.path() / "ckpt").string();
  auto run = RunTrial(config, rt);
  EXPECT_EQ(run.rc, contract::kExitOk);
  auto epochs = run.Of("epoch");
  ASSERT_EQ(epochs.size(), 12u);
  EXPECT_TRUE(epochs.back().contains("confusion"));
  EXPECT_FALSE(epochs.front().contains("confusion"));
  EXPECT_LT(epochs.back()["train_loss"].get<double>(), epochs.front()["train_loss"].get<double>());
  EXPECT_LT(run.Of("done")[0]["best_val_error"].get<double>(), 0.5);
  EXPECT_EQ(run.Of("checkpoint").size(), 12u);

  // Resume: a run asked for 14 epochs continues at epoch 12 from the checkpoint.
  config["train"]["epochs"] = 14;
  rt.resume = true;
  auto resumed = RunTrial(config, rt);
  auto more = resumed.Of("epoch");
  // The 12 checkpointed epochs replayed as first emitted (issue 11), then 12 and 13.
  ASSERT_EQ(more.size(), 14u);
  for (size_t i = 0; i < 12; ++i) {
    auto want = epochs[i];
    want["replayed"] = true;
    EXPECT_EQ(more[i], want) << i;
  }
  EXPECT_EQ(more[12]["epoch"], 12);
  EXPECT_FALSE(more[12].contains("replayed"));
}

TEST(RunTextTrial, LdamDrwRuns) {
  TempDir dir;
  auto config = Config(dir, {{"data", {{"imbalance", {{"keep_fraction", 0.5}}}}},
                             {"model", {{"arch", "bilstm"}, {"embedding_dim", 8}, {"hidden_size", 8}}},
                             {"method", {{"loss", "ldam"}, {"defer", "drw"}, {"drw_epoch", 1}}},
                             {"train", {{"epochs", 2}, {"batch_size", 4}, {"optimizer", "adam"}, {"lr", 0.01}}}});
  auto run = RunTrial(config);
  EXPECT_EQ(run.rc, contract::kExitOk);
  auto epochs = run.Of("epoch");
  ASSERT_EQ(epochs.size(), 2u);
  EXPECT_FALSE(epochs[0].contains("class_weights"));
  ASSERT_TRUE(epochs[1].contains("class_weights"));
  EXPECT_GT(epochs[1]["class_weights"][0].get<double>(), epochs[1]["class_weights"][1].get<double>());
}

TEST(RunTextTrial, UnsupportedCombinationsAreConfigErrors) {
  TempDir dir;
  EXPECT_THROW(RunTrial(Config(dir, {{"model", {{"arch", "bilstm"}}}, {"method", {{"oversample", "borderline1"}}}})),
               ConfigError);
  EXPECT_THROW(RunTrial(Config(dir, {{"model", {{"arch", "bilstm"}}}, {"train", {{"lr_schedule", {{"type", "step"}}}}}})),
               ConfigError);
  EXPECT_THROW(RunTrial(Config(dir, {{"method", {{"loss", "ldam"}}}})), ConfigError);
  // Missing on this node: another worker may have it (exit 5). Present but
  // corrupt: unusable everywhere (exit 3).
  auto missing = Config(dir, json::object());
  missing["data"]["root"] = (dir.path() / "absent").string();
  EXPECT_THROW(RunTrial(missing), CannotRunHere);
  for (const char* split : {"train", "test"}) {
    ltsweep::testing::WriteFile(dir.path() / "corrupt" / (std::string("imdb_") + split + ".tsv"), "no header\n");
  }
  auto corrupt = Config(dir, json::object());
  corrupt["data"]["root"] = (dir.path() / "corrupt").string();
  EXPECT_THROW(RunTrial(corrupt), DataError);
}

TEST(MakeTextBatch, TrimsToTheLongestSequenceOfTheBatch) {
  text::TextSplit split;
  split.labels = {1, 0, 1};
  split.docs = {{4, 5, 6}, {}, {1, 2, 3, 4, 5, 6, 7}};
  auto b = text::MakeTextBatch(split, {0, 1}, 5);
  EXPECT_EQ(b.ids.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b.lengths[1].item<int64_t>(), 1);  // empty review: one padding step
  auto c = text::MakeTextBatch(split, {2, 0}, 5, text::Truncation::kPost);
  EXPECT_EQ(c.ids.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(c.ids[0][4].item<int64_t>(), 6);  // rank 5 -> id 6, truncated after 5
  EXPECT_EQ(c.ids[1][3].item<int64_t>(), 0);
}

}  // namespace
}  // namespace ltsweep::trainer
