// The neural model of the IMDB track: a bidirectional LSTM classifier
// (bilstm.cc) and its training loop (text_trial.cc).
//
// Model: Embedding(vocab + 1, embedding_dim, padding_idx 0) -> dropout
// (model.embedding_dropout, default 0) -> num_layers bidirectional LSTM
// layers (model.dropout between layers) -> [forward h at each review's last
// real token; backward h at its first] of the top layer -> dropout
// (model.dropout) -> Linear(2 x hidden, 2), or NormedLinear (cosine,
// trainer/models.h) for LDAM. Initialised as Keras does (the report's
// framework; bilstm.cc says how), not with LibTorch's defaults.
//
// Padding never enters the result, without packed sequences (which cost a
// full-size gradient per time step in LibTorch 1.13 on CPU, 2.5x slower):
// each layer runs its forward direction on the post-padded batch (outputs past
// a review's length are computed and never used) and its backward direction on
// the batch reversed review by review within its own length (index
// t -> len - 1 - t; pads stay at the end), then reverses the outputs back.
// So a review's logits are those of the review alone (the same as packed
// sequences), whatever its batch and padding (text_trial_test checks it), and
// a batch costs what plain padded torch::nn::LSTM costs (bench/text_throughput).
//
// Training (TrainBiLstm): the loss, optimizer, head and class weights of the
// trial's TrainingOptions through trainer/training_objects.h (method.loss ce /
// focal / ldam, the NormedLinear head of trainer/models.h), method.reweight /
// resample / defer (DRW, DRS) through BalanceForEpoch and WeightedSampler
// (trainer/core/class_weights.h), so every method means what it means for
// images. Adam (betas 0.9/0.999) or SGD at a constant train.lr (the text
// track's defaults: adam, lr 0.001, weight decay 0; train.lr_schedule.type
// must be constant). method.oversample smote applies SMOTE to the token-id
// sequences as the report did (sequence_smote.h); borderline kinds are a
// ConfigError for the BiLSTM.
//
// Ownership: modules are torch::nn holders. Thread-safety: one training run
// per process (LibTorch's intra-op thread count is process-wide).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "common/config_schema.h"
#include "trainer/core/events.h"
#include "trainer/core/runtime.h"
#include "trainer/core/training_options.h"
#include "trainer/text/text_dataset.h"
#include "trainer/text/vocabulary.h"

#include <nlohmann/json.hpp>

namespace ltsweep::trainer::text {

struct BiLstmOptions {
  // ids 1..vocab_size; 0 pads
  int64_t vocab_size = SchemaDefault<int64_t>("data.max_features");
  int64_t embedding_dim = SchemaDefault<int64_t>("model.embedding_dim");
  int64_t hidden_size = SchemaDefault<int64_t>("model.hidden_size");
  int64_t num_layers = SchemaDefault<int64_t>("model.num_layers");
  double dropout = SchemaDefault<double>("model.dropout");
  double embedding_dropout = SchemaDefault<double>("model.embedding_dropout");
  bool normed_head = false;  // TrainingOptions::normed_head() (model.head, method.loss)
};

class BiLstmClassifierImpl : public torch::nn::Module {
 public:
  explicit BiLstmClassifierImpl(const BiLstmOptions& options);
  // ids (B, T) int64, lengths (B) int64 on the CPU, every length >= 1 ->
  // logits (B, 2).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& lengths);

 private:
  BiLstmOptions options_;
  torch::nn::Embedding embedding_{nullptr};
  // One single-layer unidirectional LSTM per layer and direction.
  std::vector<torch::nn::LSTM> forward_, backward_;
  torch::nn::Dropout embedding_dropout_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear linear_{nullptr};
  torch::nn::AnyModule normed_;
};
TORCH_MODULE(BiLstmClassifier);

// A batch built from rank lists: ids (B, T) with T = the longest sequence of
// the batch after truncation to max_len (at least 1), padded at the end,
// lengths (B), labels (B).
struct TextBatch {
  torch::Tensor ids, lengths, labels;
};
TextBatch MakeTextBatch(const TextSplit& split, const std::vector<int64_t>& rows, int64_t max_len,
                        Truncation truncation = Truncation::kPre);

// Throws ConfigError for combinations the BiLSTM does not support
// (method.oversample); the schema has checked every value.
void CheckBiLstmConfig(const nlohmann::json& config);

// Trains and evaluates the BiLSTM of `config` on `data`, emitting one "epoch"
// event per epoch and the "done" event. Throws as text_trial.h says.
void TrainBiLstm(const nlohmann::json& config, const TrainingOptions& training, const TextData& data,
                 const TrialRuntime& rt, EventWriter& events);

}  // namespace ltsweep::trainer::text
