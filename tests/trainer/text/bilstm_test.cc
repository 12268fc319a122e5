// The BiLSTM of trainer/text/bilstm.h: a review's logits do not depend on its
// batch or padding and equal those of packed sequences; the text track's
// defaults; metrics.eval_every.
#include "trainer/text/bilstm.h"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_schema.h"
#include "common/trainer_contract.h"
#include "tests/testing/test_util.h"
#include "trainer/core/training_options.h"
#include "trainer/text/text_trial.h"

namespace ltsweep::trainer::text {
namespace {

using nlohmann::json;

constexpr int64_t kVocab = 40;

BiLstmClassifier SmallModel(int64_t layers) {
  BiLstmOptions o;
  o.vocab_size = kVocab;
  o.embedding_dim = 12;
  o.hidden_size = 10;
  o.num_layers = layers;
  o.dropout = 0.5;  // off in eval mode
  o.embedding_dropout = 0.3;
  torch::manual_seed(7);
  BiLstmClassifier model(o);
  model->eval();
  return model;
}

TextSplit RandomReviews(const std::vector<size_t>& lengths) {
  std::mt19937 engine(11);
  std::uniform_int_distribution<int32_t> rank(0, static_cast<int32_t>(kVocab) - 1);
  TextSplit split;
  for (size_t n : lengths) {
    std::vector<int32_t> doc(n);
    for (auto& r : doc) r = rank(engine);
    split.docs.push_back(doc);
    split.labels.push_back(static_cast<int32_t>(n % 2));
  }
  return split;
}

torch::Tensor Logits(BiLstmClassifier& model, const TextSplit& split, const std::vector<int64_t>& rows,
                     int64_t max_len) {
  torch::NoGradGuard no_grad;
  TextBatch b = MakeTextBatch(split, rows, max_len);
  return model->forward(b.ids, b.lengths);
}

// Reviews of 5, 1, 17, 30 (truncated to 24) and 0 tokens.
TEST(BiLstm, AReviewsLogitsDoNotDependOnItsBatch) {
  const TextSplit split = RandomReviews({5, 1, 17, 30, 0});
  for (int64_t layers : {1, 2}) {
    BiLstmClassifier model = SmallModel(layers);
    const std::vector<std::vector<int64_t>> batches = {{0, 2, 3}, {3, 0}, {1, 0, 4}, {2, 3, 1, 0, 4}};
    for (int64_t review = 0; review < 5; ++review) {
      torch::Tensor alone = Logits(model, split, {review}, 24)[0];
      for (const auto& batch : batches) {
        for (size_t at = 0; at < batch.size(); ++at) {
          if (batch[at] != review) continue;
          torch::Tensor in_batch = Logits(model, split, batch, 24)[static_cast<int64_t>(at)];
          EXPECT_LT((alone - in_batch).abs().max().item<double>(), 1e-5)
              << "layers " << layers << ", review " << review << " in a batch of " << batch.size();
        }
      }
    }
  }
}

// The same weights in one fused torch::nn::LSTM over packed sequences (the
// semantics the track had before it stopped packing) give the same logits.
TEST(BiLstm, EqualsPackedSequences) {
  const TextSplit split = RandomReviews({9, 3, 14, 1});
  BiLstmClassifier model = SmallModel(2);
  auto params = model->named_parameters();
  torch::nn::LSTM packed(torch::nn::LSTMOptions(12, 10).num_layers(2).bidirectional(true).batch_first(true));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : packed->named_parameters()) {
      // weight_ih_l1_reverse <- lstm1_backward.weight_ih_l0
      std::string name = p.key();
      const bool reverse = name.size() > 8 && name.substr(name.size() - 8) == "_reverse";
      if (reverse) name = name.substr(0, name.size() - 8);
      const std::string layer = name.substr(name.size() - 1);
      const std::string ours = "lstm" + layer + (reverse ? "_backward." : "_forward.") +
                               name.substr(0, name.size() - 1) + "0";
      ASSERT_NE(params.find(ours), nullptr) << ours;
      p.value().copy_(params[ours]);
    }
  }
  packed->eval();
  TextBatch b = MakeTextBatch(split, {0, 1, 2, 3}, 20);
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::embedding(params["embedding.weight"], b.ids);
  auto input = torch::nn::utils::rnn::pack_padded_sequence(x, b.lengths, true, false);
  torch::Tensor h_n = std::get<0>(std::get<1>(packed->forward_with_packed_input(input)));
  torch::Tensor want = torch::linear(torch::cat({h_n[2], h_n[3]}, 1), params["linear.weight"], params["linear.bias"]);
  torch::Tensor got = model->forward(b.ids, b.lengths);
  EXPECT_LT((want - got).abs().max().item<double>(), 1e-5) << want << got;
}

TEST(MakeTextBatch, TruncatePreKeepsTheLastTokens) {
  TextSplit split;
  split.labels = {1, 0};
  split.docs = {{1, 2, 3, 4, 5, 6, 7}, {4}};
  auto pre = MakeTextBatch(split, {0, 1}, 5);  // the schema's default
  EXPECT_EQ(pre.ids[0][0].item<int64_t>(), 4);  // rank 3 -> id 4: the first two dropped
  EXPECT_EQ(pre.ids[0][4].item<int64_t>(), 8);
  EXPECT_EQ(pre.ids[1][1].item<int64_t>(), kPadId);  // padding stays at the end
  auto post = MakeTextBatch(split, {0, 1}, 5, ParseTruncation("post"));
  EXPECT_EQ(post.ids[0][0].item<int64_t>(), 2);
  EXPECT_EQ(post.ids[0][4].item<int64_t>(), 6);
}

TEST(TextDefaults, TheTextTrackHasTheReportsDefaultsAndImagesKeepTheirs) {
  auto text = ResolveTrialConfig({{"data", {{"dataset", "imdb"}}}, {"model", {{"arch", "bilstm"}}}});
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ((*text)["train"]["optimizer"], "adam");
  EXPECT_EQ((*text)["train"]["lr"], 0.001);
  EXPECT_EQ((*text)["train"]["weight_decay"], 0.0);
  EXPECT_EQ((*text)["train"]["lr_schedule"]["type"], "constant");
  EXPECT_EQ((*text)["model"]["embedding_dropout"], 0.0);
  EXPECT_EQ((*text)["data"]["truncate"], "pre");
  auto image = ResolveTrialConfig({{"data", {{"dataset", "cifar10"}}}});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ((*image)["train"]["optimizer"], "sgd");
  EXPECT_EQ((*image)["train"]["weight_decay"], 2e-4);
  EXPECT_EQ((*image)["train"]["lr_schedule"]["type"], "reference");
  // A value the config gives wins over either default.
  auto given = ResolveTrialConfig(
      {{"data", {{"dataset", "imdb"}}}, {"model", {{"arch", "logreg"}}}, {"train", {{"weight_decay", 1e-5}}}});
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_EQ((*given)["train"]["weight_decay"], 1e-5);
}

TEST(RunTextTrial, EvalEveryEvaluatesEveryNEpochsAndTheLast) {
  ltsweep::testing::TempDir dir;
  json partial = {
      {"data",
       {{"dataset", "imdb"},
        {"root", (ltsweep::testing::SourceDir() / "tests/trainer/text/fixtures/aclImdb").string()},
        {"cache_dir", (dir.path() / "cache").string()},
        {"imbalance", {{"keep_fraction", 1.0}}},
        {"val_split", 0.25},
        {"max_features", 60},
        {"max_len", 20}}},
      {"model", {{"arch", "bilstm"}, {"embedding_dim", 8}, {"hidden_size", 8}}},
      {"train", {{"epochs", 5}, {"batch_size", 4}}},
      {"metrics", {{"eval_every", 2}}},
  };
  auto config = ResolveTrialConfig(partial);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  std::FILE* f = std::tmpfile();
  EventWriter events(f);
  EXPECT_EQ(RunTextTrial(*config, TrainingOptions::FromConfig(*config), {}, events), contract::kExitOk);
  std::rewind(f);
  std::vector<int> evaluated, epochs;
  char buf[1 << 16];
  while (std::fgets(buf, sizeof buf, f) != nullptr) {
    json ev = json::parse(buf);
    if (ev["event"] != contract::kEventEpoch) continue;
    epochs.push_back(ev["epoch"].get<int>());
    if (ev.contains("val_error")) evaluated.push_back(ev["epoch"].get<int>());
    EXPECT_TRUE(ev.contains("train_loss"));
  }
  std::fclose(f);
  EXPECT_EQ(epochs, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(evaluated, (std::vector<int>{1, 3, 4}));
}

}  // namespace
}  // namespace ltsweep::trainer::text
