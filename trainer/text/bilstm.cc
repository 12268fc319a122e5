// The BiLSTM classifier of bilstm.h and the batches it reads.
#include "trainer/text/bilstm.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "trainer/core/errors.h"
#include "trainer/models.h"

namespace ltsweep::trainer::text {
namespace {

// Row index into a (B * T, F) view that reverses each review within its own
// length: row b * T + t reads b * T + (len_b - 1 - t) for t < len_b, itself
// for the padding after it. Its own inverse. Rows, not elements: index_select
// copies F contiguous floats per row and its gradient is one index_add_, far
// cheaper than an element-wise gather.
torch::Tensor ReverseWithinLength(const torch::Tensor& lengths, int64_t steps) {
  const int64_t b = lengths.size(0);
  torch::Tensor index = torch::empty({b * steps}, torch::kInt64);
  int64_t* out = index.data_ptr<int64_t>();
  torch::Tensor cpu_lengths = lengths.to(torch::kCPU).contiguous();
  const int64_t* len = cpu_lengths.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    for (int64_t t = 0; t < steps; ++t) out[i * steps + t] = i * steps + (t < len[i] ? len[i] - 1 - t : t);
  }
  return index;
}

// Rows of x (B, T, F) picked by a row index into its (B * T, F) view.
torch::Tensor SelectSteps(const torch::Tensor& x, const torch::Tensor& rows, int64_t b, int64_t t) {
  return x.reshape({x.size(0) * x.size(1), x.size(2)}).index_select(0, rows).view({b, t, x.size(2)});
}

// Row b * T + len_b - 1 of every review: its last real step.
torch::Tensor LastStepRows(const torch::Tensor& lengths, int64_t steps) {
  return torch::arange(lengths.size(0), torch::kInt64) * steps + lengths.to(torch::kCPU).to(torch::kInt64) - 1;
}

// Keras' initialisation (the report's framework): embeddings U(-0.05, 0.05),
// LSTM input weights Glorot-uniform, recurrent weights orthogonal per gate,
// biases 0 except the forget gate's 1 (unit_forget_bias), the classifier
// Glorot-uniform with bias 0. LibTorch's defaults (N(0, 1) embeddings) leave
// the embeddings nearly where they started after the few hundred Adam steps
// of the report's runs.
void InitLikeKeras(torch::nn::Embedding& embedding, std::vector<torch::nn::LSTM>& lstms, torch::nn::Linear& linear,
                   int64_t hidden) {
  torch::NoGradGuard no_grad;
  torch::nn::init::uniform_(embedding->weight, -0.05, 0.05);
  embedding->weight[kPadId].zero_();
  for (auto& lstm : lstms) {
    for (auto& p : lstm->named_parameters()) {
      torch::Tensor w = p.value();
      if (p.key().rfind("weight_ih", 0) == 0) {
        torch::nn::init::xavier_uniform_(w);
      } else if (p.key().rfind("weight_hh", 0) == 0) {
        for (int64_t gate = 0; gate < 4; ++gate) torch::nn::init::orthogonal_(w.narrow(0, gate * hidden, hidden));
      } else {
        w.zero_();
        if (p.key().rfind("bias_ih", 0) == 0) w.narrow(0, hidden, hidden).fill_(1.0);  // gates i, f, g, o
      }
    }
  }
  if (linear) {
    torch::nn::init::xavier_uniform_(linear->weight);
    linear->bias.zero_();
  }
}

}  // namespace

BiLstmClassifierImpl::BiLstmClassifierImpl(const BiLstmOptions& options) : options_(options) {
  embedding_ = register_module(
      "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(options.vocab_size + 1, options.embedding_dim)
                                            .padding_idx(kPadId)));
  for (int64_t l = 0; l < options.num_layers; ++l) {
    const int64_t in = l == 0 ? options.embedding_dim : 2 * options.hidden_size;
    auto lstm_options = torch::nn::LSTMOptions(in, options.hidden_size).batch_first(true);
    forward_.push_back(register_module(fmt::format("lstm{}_forward", l), torch::nn::LSTM(lstm_options)));
    backward_.push_back(register_module(fmt::format("lstm{}_backward", l), torch::nn::LSTM(lstm_options)));
  }
  embedding_dropout_ = register_module("embedding_dropout", torch::nn::Dropout(options.embedding_dropout));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  if (options.normed_head) {
    NormedLinear head(2 * options.hidden_size, 2);
    register_module("linear", head.ptr());
    normed_ = torch::nn::AnyModule(head);
  } else {
    linear_ = register_module("linear", torch::nn::Linear(2 * options.hidden_size, 2));
  }
  std::vector<torch::nn::LSTM> lstms = forward_;
  lstms.insert(lstms.end(), backward_.begin(), backward_.end());
  InitLikeKeras(embedding_, lstms, linear_, options.hidden_size);
}

torch::Tensor BiLstmClassifierImpl::forward(const torch::Tensor& ids, const torch::Tensor& lengths) {
  const torch::Device device = ids.device();
  const int64_t b = ids.size(0), t = ids.size(1);
  const torch::Tensor reverse = ReverseWithinLength(lengths, t).to(device);
  const torch::Tensor last = LastStepRows(lengths, t).to(device);
  auto at_last = [&](const torch::Tensor& x) { return x.reshape({b * t, x.size(2)}).index_select(0, last); };
  torch::Tensor x = embedding_dropout_(embedding_(ids));
  torch::Tensor feat;
  for (size_t l = 0; l < forward_.size(); ++l) {
    torch::Tensor fwd = std::get<0>(forward_[l]->forward(x));
    // Step t of `bwd_reversed` is step len - 1 - t of the review: its step
    // len - 1 has read the whole review from the end.
    torch::Tensor bwd_reversed = std::get<0>(backward_[l]->forward(SelectSteps(x, reverse, b, t)));
    if (l + 1 == forward_.size()) {
      feat = torch::cat({at_last(fwd), at_last(bwd_reversed)}, 1);
    } else {
      x = dropout_(torch::cat({fwd, SelectSteps(bwd_reversed, reverse, b, t)}, 2));
    }
  }
  feat = dropout_(feat);
  return options_.normed_head ? normed_.forward(feat) : linear_(feat);
}

void CheckBiLstmConfig(const nlohmann::json& config) {
  const std::string oversample = config.at("method").at("oversample");
  if (oversample != "none" && oversample != "smote")
    throw ConfigError(fmt::format(
        "method.oversample: {} is not supported for model.arch bilstm (only smote, on the token-id sequences as the "
        "report did; see docs/text-track.md); use it with logreg, naive_bayes, knn or xgboost, or use "
        "method.resample for the bilstm",
        oversample));
  const std::string schedule = config.at("train").at("lr_schedule").at("type");
  if (schedule != "constant")
    throw ConfigError(fmt::format(
        "train.lr_schedule.type: {} is not supported for model.arch bilstm (the text track trains at a constant "
        "train.lr); use constant",
        schedule));
}

TextBatch MakeTextBatch(const TextSplit& split, const std::vector<int64_t>& rows, int64_t max_len,
                        Truncation truncation) {
  int64_t longest = 1;
  for (int64_t r : rows)
    longest = std::max<int64_t>(
        longest, std::min<int64_t>(max_len, static_cast<int64_t>(split.docs[static_cast<size_t>(r)].size())));
  const int64_t b = static_cast<int64_t>(rows.size());
  TextBatch batch;
  batch.ids = torch::empty({b, longest}, torch::kInt64);
  batch.lengths = torch::empty({b}, torch::kInt64);
  batch.labels = torch::empty({b}, torch::kInt64);
  int64_t* ids = batch.ids.data_ptr<int64_t>();
  int64_t* lengths = batch.lengths.data_ptr<int64_t>();
  int64_t* labels = batch.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    size_t r = static_cast<size_t>(rows[static_cast<size_t>(i)]);
    // An empty review is one padding step (the zero embedding).
    lengths[i] = std::max<int64_t>(1, EncodeSequence(split.docs[r], longest, ids + i * longest, truncation));
    labels[i] = split.labels[r];
  }
  return batch;
}

}  // namespace ltsweep::trainer::text
