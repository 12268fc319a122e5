// The BiLSTM pipeline end to end (aclImdb files -> tokens -> vocabulary ->
// truncation -> padded batches -> BiLSTM -> loss -> evaluation) learns a
// label that sits at a review's start or end, on synthetic corpora written as
// aclImdb folders: the reading direction, the final state taken, the
// truncation side and the label mapping all have to be right for these to
// pass, and padding must not bury the signal.
#include <cstdio>
#include <filesystem>
#include <fstream>
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

namespace fs = std::filesystem;
using nlohmann::json;

// Noise words: not stop words, at least two letters, unchanged by the
// lemmatiser (no final "s").
const std::vector<std::string>& NoiseWords() {
  static const std::vector<std::string> words = {"alpha",  "bravo", "charlie", "delta", "echo",   "foxtrot",
                                                 "golf",   "hotel", "india",   "juliet", "kilo", "lima",
                                                 "mike",   "oscar", "papa",    "quebec"};
  return words;
}

enum class Where { kStart, kEnd };

struct CorpusShape {
  Where label_at = Where::kStart;
  int reviews_per_class = 0;
  int min_words = 0, max_words = 0;  // noise words around the label word
};

// Writes <root>/<split>/{pos,neg}/<id>_<rating>.txt: each review is noise
// words with "zebra" (pos) or "yak" (neg) first or last.
void WriteSplit(const fs::path& root, const std::string& split, const CorpusShape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> length(shape.min_words, shape.max_words);
  std::uniform_int_distribution<size_t> word(0, NoiseWords().size() - 1);
  int id = 0;
  for (const char* label : {"pos", "neg"}) {
    const fs::path dir = root / split / label;
    fs::create_directories(dir);
    const std::string marker = std::string(label) == "pos" ? "zebra" : "yak";
    for (int i = 0; i < shape.reviews_per_class; ++i) {
      std::string text = shape.label_at == Where::kStart ? marker : "";
      for (int w = length(rng); w > 0; --w) text += " " + NoiseWords()[word(rng)];
      if (shape.label_at == Where::kEnd) text += " " + marker;
      std::ofstream(dir / (std::to_string(++id) + (std::string(label) == "pos" ? "_8.txt" : "_2.txt"))) << text;
    }
  }
}

// Runs a small BiLSTM trial on a corpus of `shape`; returns the last epoch
// event (every epoch event in `epochs`).
json TrainOn(const CorpusShape& shape, int64_t max_len, const std::string& truncate, double keep_fraction,
             std::vector<json>* epochs = nullptr) {
  ltsweep::testing::TempDir dir;
  const fs::path root = dir.path() / "aclImdb";
  WriteSplit(root, "train", shape, 1);
  WriteSplit(root, "test", shape, 2);
  json partial = {
      {"data",
       {{"dataset", "imdb"},
        {"root", root.string()},
        {"cache_dir", (dir.path() / "cache").string()},
        {"imbalance", {{"keep_fraction", keep_fraction}}},
        {"val_split", 0.0},
        {"max_features", 100},
        {"max_len", max_len},
        {"truncate", truncate}}},
      {"model", {{"arch", "bilstm"}, {"embedding_dim", 8}, {"hidden_size", 8}, {"num_layers", 1}, {"dropout", 0.0}}},
      {"train", {{"epochs", 6}, {"batch_size", 16}, {"lr", 0.01}, {"seed", 5}}},
  };
  auto config = ResolveTrialConfig(partial);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  if (!config.ok()) return json();
  std::FILE* f = std::tmpfile();
  EventWriter events(f);
  EXPECT_EQ(RunTextTrial(*config, TrainingOptions::FromConfig(*config), {}, events), contract::kExitOk);
  std::rewind(f);
  json last;
  char buf[1 << 16];
  while (std::fgets(buf, sizeof buf, f) != nullptr) {
    json ev = json::parse(buf);
    if (ev["event"] != contract::kEventEpoch) continue;
    if (epochs != nullptr) epochs->push_back(ev);
    last = ev;
  }
  std::fclose(f);
  return last;
}

// The backward direction reads the first token last; its state at the first
// real token must be what the classifier sees, however much padding a
// shorter review gets in a batch of longer ones (lengths 20 to 60).
TEST(BiLstmLearning, LearnsALabelWordAtTheStartOfPaddedReviews) {
  std::vector<json> epochs;
  json last = TrainOn({Where::kStart, 120, 20, 60}, 100, "pre", 1.0, &epochs);
  ASSERT_TRUE(last.contains("val_error")) << last.dump();
  EXPECT_LT(last["val_error"].get<double>(), 0.05) << last.dump();
  EXPECT_LT(epochs.back()["train_loss"].get<double>(), 0.5 * epochs.front()["train_loss"].get<double>());
  // The training fit of each epoch (in train mode, as the batches went by):
  // overall and per class [neg, pos], as the test metrics are reported.
  for (const json& ev : epochs) {
    ASSERT_TRUE(ev.contains("train_error")) << ev.dump();
    ASSERT_EQ(ev["train_per_class_error"].size(), 2u) << ev.dump();
  }
  EXPECT_LT(epochs.back()["train_error"].get<double>(), 0.05);
  EXPECT_GT(epochs.front()["train_error"].get<double>(), epochs.back()["train_error"].get<double>());
}

// The forward direction's state at the last real token; `pre` truncation
// (Keras' pad_sequences, the default) keeps a long review's end.
TEST(BiLstmLearning, LearnsALabelWordAtTheEndOfTruncatedReviews) {
  json last = TrainOn({Where::kEnd, 120, 40, 80}, 30, "pre", 1.0);
  ASSERT_TRUE(last.contains("val_error")) << last.dump();
  EXPECT_LT(last["val_error"].get<double>(), 0.05) << last.dump();
}

// The contrast that shows the test above can fail: `post` truncation drops
// the end, the label word with it, and nothing is left to learn.
TEST(BiLstmLearning, PostTruncationLosesALabelWordAtTheEnd) {
  json last = TrainOn({Where::kEnd, 120, 40, 80}, 30, "post", 1.0);
  ASSERT_TRUE(last.contains("val_error")) << last.dump();
  EXPECT_GT(last["val_error"].get<double>(), 0.3) << last.dump();
}

// Under the report's imbalance (a tenth of the negatives kept, ERM), a clean
// signal is still learned for both classes on the balanced test set: the
// minority is not lost in the imbalance subsampling or the label mapping.
TEST(BiLstmLearning, LearnsBothClassesUnderImbalance) {
  json last = TrainOn({Where::kStart, 300, 10, 30}, 100, "pre", 0.1);
  ASSERT_TRUE(last.contains("error_neg")) << last.dump();
  EXPECT_LT(last["error_neg"].get<double>(), 0.1) << last.dump();
  EXPECT_LT(last["error_pos"].get<double>(), 0.1) << last.dump();
}

}  // namespace
}  // namespace ltsweep::trainer::text
