// The text track's one LibTorch translation unit: the BiLSTM (bilstm.h), its
// training loop, and RunTextTrial (text_trial.h).
#include "trainer/text/text_trial.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include <fmt/format.h>

#include "trainer/checkpoint.h"
#include "trainer/class_weights.h"
#include "trainer/errors.h"
#include "trainer/losses.h"
#include "trainer/models.h"
#include "trainer/text/bilstm.h"
#include "trainer/text/classical_trial.h"
#include "trainer/text/text_metrics.h"
#include "trainer/text/trial_common.h"
#include "trainer/text/vocabulary.h"

namespace ltsweep::trainer {
namespace text {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

struct EvalResult {
  BinaryMetrics metrics;
  double loss = 0;
};

EvalResult Evaluate(BiLstmClassifier& model, Loss& plain_loss, const TextSplit& split, int64_t max_len,
                    int64_t batch_size, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<int> pred;
  pred.reserve(static_cast<size_t>(split.size()));
  double loss_sum = 0;
  for (int64_t b = 0; b < split.size(); b += batch_size) {
    std::vector<int64_t> rows;
    for (int64_t i = b; i < std::min(split.size(), b + batch_size); ++i) rows.push_back(i);
    TextBatch batch = MakeTextBatch(split, rows, max_len);
    torch::Tensor logits = model->forward(batch.ids.to(device), batch.lengths);
    torch::Tensor labels = batch.labels.to(device);
    loss_sum += plain_loss(logits, labels).item<double>() * static_cast<double>(rows.size());
    torch::Tensor am = logits.argmax(1).to(torch::kCPU);
    auto acc = am.accessor<int64_t, 1>();
    for (int64_t i = 0; i < am.size(0); ++i) pred.push_back(static_cast<int>(acc[i]));
  }
  EvalResult r;
  r.metrics = ComputeBinaryMetrics(split.labels, pred);
  r.loss = split.size() > 0 ? loss_sum / static_cast<double>(split.size()) : 0.0;
  return r;
}

}  // namespace

BiLstmClassifierImpl::BiLstmClassifierImpl(const BiLstmOptions& options) : options_(options) {
  embedding_ = register_module(
      "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(options.vocab_size + 1, options.embedding_dim)
                                            .padding_idx(kPadId)));
  lstm_ = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(options.embedding_dim, options.hidden_size)
                                                      .num_layers(options.num_layers)
                                                      .bidirectional(true)
                                                      .batch_first(true)
                                                      .dropout(options.num_layers > 1 ? options.dropout : 0.0)));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  if (options.normed_head) {
    NormedLinear head(2 * options.hidden_size, 2);
    register_module("linear", head.ptr());
    normed_ = torch::nn::AnyModule(head);
  } else {
    linear_ = register_module("linear", torch::nn::Linear(2 * options.hidden_size, 2));
  }
}

torch::Tensor BiLstmClassifierImpl::forward(const torch::Tensor& ids, const torch::Tensor& lengths) {
  torch::Tensor x = dropout_(embedding_(ids));
  auto packed = torch::nn::utils::rnn::pack_padded_sequence(x, lengths, /*batch_first=*/true,
                                                            /*enforce_sorted=*/false);
  auto out = lstm_->forward_with_packed_input(packed);
  torch::Tensor h_n = std::get<0>(std::get<1>(out));  // (layers * 2, B, H), batch in input order
  int64_t l = h_n.size(0);
  torch::Tensor feat = dropout_(torch::cat({h_n[l - 2], h_n[l - 1]}, 1));
  return options_.normed_head ? normed_.forward(feat) : linear_(feat);
}

void CheckBiLstmConfig(const nlohmann::json& config) {
  const auto& method = config.at("method");
  if (method.at("oversample") != "none")
    throw ConfigError(fmt::format(
        "method.oversample: {} is not supported for model.arch bilstm (SMOTE on token-id sequences is meaningless "
        "and the learned embedding does not exist before training); use it with logreg, naive_bayes, knn or xgboost, "
        "or use method.resample for the bilstm",
        method.at("oversample").get<std::string>()));
  const std::string opt = config.at("train").at("optimizer");
  if (opt != "adam" && opt != "sgd") throw ConfigError(fmt::format("train.optimizer: unknown value {}", opt));
}

TextBatch MakeTextBatch(const TextSplit& split, const std::vector<int64_t>& rows, int64_t max_len) {
  int64_t longest = 1;
  for (int64_t r : rows)
    longest = std::max<int64_t>(longest, std::min<int64_t>(max_len, static_cast<int64_t>(split.docs[static_cast<size_t>(r)].size())));
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
    // An empty review becomes one padding token so packing has a step.
    lengths[i] = std::max<int64_t>(1, EncodeSequence(split.docs[r], longest, ids + i * longest));
    labels[i] = split.labels[r];
  }
  return batch;
}

void TrainBiLstm(const nlohmann::json& config, const TextData& data, const TrialRuntime& rt, EventWriter& events) {
  const auto& model_cfg = config.at("model");
  const auto& method = config.at("method");
  const auto& train = config.at("train");
  CheckBiLstmConfig(config);
  const std::string optimizer_name = train.at("optimizer");
  const double lr = train.at("lr").get<double>();
  const int epochs = train.at("epochs").get<int>();
  const int64_t batch_size = train.at("batch_size").get<int64_t>();
  const int64_t eval_batch = train.at("eval_batch_size").get<int64_t>();
  const int64_t max_len = config.at("data").at("max_len").get<int64_t>();
  const uint64_t seed = train.at("seed").get<uint64_t>();
  const std::string head = model_cfg.at("head");
  const std::string loss_name = method.at("loss");

  torch::Device device(rt.device.empty() ? std::string("cpu") : rt.device);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw ConfigError(fmt::format("--device {}: CUDA is not available in this build or machine", rt.device));

  BiLstmOptions mo;
  mo.vocab_size = std::max<int64_t>(1, data.vocab.size());
  mo.embedding_dim = model_cfg.at("embedding_dim").get<int64_t>();
  mo.hidden_size = model_cfg.at("hidden_size").get<int64_t>();
  mo.num_layers = model_cfg.at("num_layers").get<int64_t>();
  mo.dropout = model_cfg.at("dropout").get<double>();
  mo.normed_head = head == "normed" || (head == "auto" && loss_name == "ldam");

  auto counts2 = data.train.ClassCounts();
  std::vector<int64_t> counts(counts2.begin(), counts2.end());
  LossOptions lo;
  lo.kind = ParseLossKind(loss_name);
  lo.focal_gamma = method.at("focal_gamma").get<double>();
  lo.ldam_max_m = method.at("ldam_max_m").get<double>();
  lo.ldam_s = method.at("ldam_s").get<double>();
  lo.class_counts = counts;
  Loss loss(lo);
  Loss eval_loss(lo);  // unweighted, for val_loss / dev_loss
  BalanceOptions balance = BalanceOptions::FromConfig(config);

  torch::manual_seed(seed);
  BiLstmClassifier model(mo);
  model->to(device);
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (optimizer_name == "adam") {
    optimizer = std::make_unique<torch::optim::Adam>(
        model->parameters(),
        torch::optim::AdamOptions(lr).weight_decay(train.at("weight_decay").get<double>()));
  } else {
    optimizer = std::make_unique<torch::optim::SGD>(model->parameters(),
                                                    torch::optim::SGDOptions(lr)
                                                        .momentum(train.at("momentum").get<double>())
                                                        .weight_decay(train.at("weight_decay").get<double>()));
  }

  DoneTracker done;
  nlohmann::json history = nlohmann::json::array();
  int start_epoch = 0;
  if (rt.resume && !rt.checkpoint_dir.empty()) {
    nlohmann::json state;
    if (LoadCheckpoint(rt.checkpoint_dir, *model, *optimizer, device, &state)) {
      start_epoch = state.at("next_epoch").get<int>();
      history = state.value("history", nlohmann::json::array());
      std::fprintf(stderr, "[text] resumed from %s at epoch %d\n", rt.checkpoint_dir.c_str(), start_epoch);
    }
  }
  // Replaying the recorded epochs restores best/last exactly.
  for (const auto& h : history) {
    BinaryMetrics m;
    m.error = h.at("val_error");
    m.error_pos = h.at("error_pos");
    m.error_neg = h.at("error_neg");
    m.mean_error = h.at("mean_error");
    done.Add(h.at("epoch").get<int>(), m);
  }

  const int64_t n_train = data.train.size();
  for (int epoch = start_epoch; epoch < epochs; ++epoch) {
    auto t0 = Clock::now();
    EpochBalance eb = BalanceForEpoch(balance, counts, epoch);
    if (eb.class_weights) {
      loss.SetClassWeights(std::vector<double>(eb.class_weights->begin(), eb.class_weights->end()));
    } else {
      loss.SetClassWeights({});
    }
    // Epoch order: a plain shuffle or class-aware draws with replacement,
    // seeded from (train.seed, epoch) so a resumed run repeats it.
    std::vector<int64_t> order;
    std::mt19937_64 engine(seed * 1000003ULL + static_cast<uint64_t>(epoch));
    if (eb.sampling_weights) {
      std::vector<int32_t> labels(data.train.labels.begin(), data.train.labels.end());
      WeightedSampler sampler(PerSampleWeights(labels, *eb.sampling_weights));
      order = sampler.Sample(n_train, engine);
    } else {
      order.resize(static_cast<size_t>(n_train));
      for (int64_t i = 0; i < n_train; ++i) order[static_cast<size_t>(i)] = i;
      std::shuffle(order.begin(), order.end(), engine);
    }
    torch::manual_seed(seed * 1000003ULL + static_cast<uint64_t>(epoch) + 1);  // dropout stream per epoch
    model->train();
    double loss_sum = 0;
    int64_t seen = 0;
    std::vector<int64_t> rows;
    for (int64_t b = 0; b < n_train; b += batch_size) {
      if (rt.Interrupted()) throw Interrupted();
      rows.assign(order.begin() + b, order.begin() + std::min(n_train, b + batch_size));
      TextBatch batch = MakeTextBatch(data.train, rows, max_len);
      optimizer->zero_grad();
      torch::Tensor logits = model->forward(batch.ids.to(device), batch.lengths);
      torch::Tensor l = loss(logits, batch.labels.to(device));
      l.backward();
      optimizer->step();
      loss_sum += l.item<double>() * static_cast<double>(rows.size());
      seen += static_cast<int64_t>(rows.size());
      int64_t step = b / batch_size;
      if (step % 20 == 0)
        std::fprintf(stderr, "[text] epoch %d step %lld/%lld loss %.4f\n", epoch, static_cast<long long>(step),
                     static_cast<long long>((n_train + batch_size - 1) / batch_size), l.item<double>());
    }
    double train_time = Seconds(t0);
    EvalResult val = Evaluate(model, eval_loss, data.test, max_len, eval_batch, device);
    EvalResult dev = Evaluate(model, eval_loss, data.dev, max_len, eval_batch, device);
    double epoch_time = Seconds(t0);
    nlohmann::json ev;
    ev["epoch"] = epoch;
    ev["lr"] = lr;
    ev["train_loss"] = seen > 0 ? loss_sum / static_cast<double>(seen) : 0.0;
    ev["val_loss"] = val.loss;
    val.metrics.AddTo(ev);
    ev["dev_loss"] = dev.loss;
    dev.metrics.AddTo(ev, "dev_");
    ev["samples_per_s"] = train_time > 0 ? static_cast<double>(seen) / train_time : 0.0;
    ev["epoch_time_s"] = epoch_time;
    if (eb.class_weights) ev["class_weights"] = *eb.class_weights;
    if (epoch == epochs - 1) {
      const auto& c = val.metrics.confusion;
      ev["confusion"] = {{c[0][0], c[0][1]}, {c[1][0], c[1][1]}};
    }
    events.Emit("epoch", ev);
    std::fprintf(stderr, "[text] epoch %d: train loss %.4f, test error %.4f (pos %.4f, neg %.4f), %.0f seq/s\n", epoch,
                 ev["train_loss"].get<double>(), val.metrics.error, val.metrics.error_pos, val.metrics.error_neg,
                 ev["samples_per_s"].get<double>());
    done.Add(epoch, val.metrics);
    history.push_back({{"epoch", epoch},
                       {"val_error", val.metrics.error},
                       {"error_pos", val.metrics.error_pos},
                       {"error_neg", val.metrics.error_neg},
                       {"mean_error", val.metrics.mean_error}});
    if (!rt.checkpoint_dir.empty()) {
      nlohmann::json state = {{"next_epoch", epoch + 1}, {"history", history}};
      std::string path = WriteCheckpointBytes(rt.checkpoint_dir, SerializeCheckpoint(*model, *optimizer, state));
      events.Emit("checkpoint", {{"epoch", epoch}, {"path", path}});
    }
  }
  events.Emit("done", done.Fields());
}

}  // namespace text

int RunTextTrial(const nlohmann::json& config, const TrialRuntime& rt, EventWriter& events) {
  const std::string arch = config.at("model").at("arch");
  // Fail fast, before preprocessing.
  if (arch != "bilstm") {
    text::CheckClassicalConfig(config);
  } else {
    text::CheckBiLstmConfig(config);
  }
  const int threads = std::max(1, rt.threads);
  torch::set_num_threads(threads);
  auto t0 = std::chrono::steady_clock::now();
  text::TextData data = text::LoadTrialData(config, threads);
  double prepare_s = text::Seconds(t0);
  std::fprintf(stderr, "[text] data ready in %.1fs (%s): train %lld, dev %lld, test %lld, vocabulary %lld\n",
               prepare_s, data.from_cache ? "cached" : "preprocessed", static_cast<long long>(data.train.size()),
               static_cast<long long>(data.dev.size()), static_cast<long long>(data.test.size()),
               static_cast<long long>(data.vocab.size()));
  events.Emit("start", text::StartFields(config, data, prepare_s));
  if (arch == "bilstm") {
    text::TrainBiLstm(config, data, rt, events);
    return kExitOk;
  }
  return text::RunClassicalTrial(config, data, rt, events);
}

}  // namespace ltsweep::trainer
