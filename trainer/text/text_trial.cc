// The text track's one LibTorch translation unit: the BiLSTM (bilstm.h), its
// training loop, and RunTextTrial (text_trial.h).
#include "trainer/text/text_trial.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <random>

#include <fmt/format.h>

#include "common/trainer_contract.h"
#include "trainer/checkpoint.h"
#include "trainer/core/class_weights.h"
#include "trainer/core/errors.h"
#include "trainer/losses.h"
#include "trainer/models.h"
#include "trainer/text/bilstm.h"
#include "trainer/text/classical_trial.h"
#include "trainer/text/text_metrics.h"
#include "trainer/text/trial_common.h"
#include "trainer/text/sequence_smote.h"
#include "trainer/text/vocabulary.h"
#include "trainer/training_objects.h"

namespace ltsweep::trainer {
namespace text {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// Adds the wrong argmax predictions of `logits` per true class of `labels`
// (CPU int64) to `wrong`, and the reviews per class to `count`.
void CountWrong(const torch::Tensor& logits, const torch::Tensor& labels, std::array<int64_t, 2>& wrong,
                std::array<int64_t, 2>& count) {
  torch::Tensor pred = logits.detach().argmax(1).to(torch::kCPU);
  auto p = pred.accessor<int64_t, 1>();
  auto y = labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < pred.size(0); ++i) {
    const size_t c = static_cast<size_t>(y[i]);
    ++count[c];
    if (p[i] != y[i]) ++wrong[c];
  }
}

struct EvalResult {
  BinaryMetrics metrics;
  double loss = 0;
};

// Rows of `split` by truncated length (stable), so evaluation batches carry
// little padding; a review's logits do not depend on its batch (bilstm.h).
std::vector<int64_t> RowsByLength(const TextSplit& split, int64_t max_len) {
  std::vector<int64_t> rows(static_cast<size_t>(split.size()));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  auto length = [&](int64_t r) {
    return std::min<int64_t>(max_len, static_cast<int64_t>(split.docs[static_cast<size_t>(r)].size()));
  };
  std::stable_sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) { return length(a) < length(b); });
  return rows;
}

EvalResult Evaluate(BiLstmClassifier& model, Loss& plain_loss, const TextSplit& split, int64_t max_len,
                    Truncation truncation, int64_t batch_size, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model->eval();
  const std::vector<int64_t> order = RowsByLength(split, max_len);
  std::vector<int> pred(order.size(), 0);
  double loss_sum = 0;
  for (size_t b = 0; b < order.size(); b += static_cast<size_t>(batch_size)) {
    std::vector<int64_t> rows(order.begin() + static_cast<std::ptrdiff_t>(b),
                              order.begin() + static_cast<std::ptrdiff_t>(
                                                  std::min(order.size(), b + static_cast<size_t>(batch_size))));
    TextBatch batch = MakeTextBatch(split, rows, max_len, truncation);
    torch::Tensor logits = model->forward(batch.ids.to(device), batch.lengths);
    torch::Tensor labels = batch.labels.to(device);
    loss_sum += plain_loss(logits, labels).item<double>() * static_cast<double>(rows.size());
    torch::Tensor am = logits.argmax(1).to(torch::kCPU);
    auto acc = am.accessor<int64_t, 1>();
    for (int64_t i = 0; i < am.size(0); ++i) pred[static_cast<size_t>(rows[static_cast<size_t>(i)])] = static_cast<int>(acc[i]);
  }
  EvalResult r;
  r.metrics = ComputeBinaryMetrics(split.labels, pred);
  r.loss = split.size() > 0 ? loss_sum / static_cast<double>(split.size()) : 0.0;
  return r;
}

}  // namespace

namespace {

// What one training epoch did: the mean loss and the error of the argmax
// predictions on its batches (in train mode, with dropout, as they went by),
// overall and per class [neg, pos]: the fit to set beside the test metrics.
struct EpochFit {
  double loss = 0;
  double error = 0;
  std::array<double, 2> per_class_error{0, 0};
};

// One BiLSTM trial: the model, loss and optimizer of the trial's
// TrainingOptions (trainer/training_objects.h), trained epoch by epoch.
class BiLstmTrial {
 public:
  BiLstmTrial(const nlohmann::json& config, const TrainingOptions& training, const TextData& data,
              const TrialRuntime& rt, EventWriter& events);
  void Run();

 private:
  // Continues from rt_.checkpoint_dir when asked; returns the first epoch.
  int Resume();
  // Epoch order: a plain shuffle or class-aware draws with replacement,
  // seeded from (train.seed, epoch) so a resumed run repeats it.
  std::vector<int64_t> EpochOrder(int epoch, const EpochBalance& balance) const;
  // Trains one epoch on `order`; returns its mean loss and fit.
  EpochFit TrainEpoch(int epoch, const std::vector<int64_t>& order);
  // Evaluates (every metrics.eval_every epochs and at the last) and emits
  // the epoch event; writes the checkpoint (every checkpoint.every epochs and
  // at the last).
  void FinishEpoch(int epoch, const EpochFit& fit, double train_s, Clock::time_point t0, const EpochBalance& balance);
  // Test and dev metrics of `epoch` into `ev`, the history and the done tracker.
  void EvaluateInto(int epoch, nlohmann::json& ev);

  const TrainingOptions& training_;
  const TextData& data_;
  // The training reviews, with method.oversample's synthetic ones after them.
  const TextSplit train_;
  const TrialRuntime& rt_;
  EventWriter& events_;
  const int epochs_;
  const int64_t batch_size_, eval_batch_, max_len_;
  const Truncation truncation_;
  const int eval_every_, checkpoint_every_;
  const uint64_t seed_;
  const std::vector<int64_t> counts_;
  torch::Device device_;
  BiLstmClassifier model_{nullptr};
  Loss loss_;
  Loss eval_loss_;  // unweighted, for val_loss / dev_loss
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  DoneTracker done_;
  nlohmann::json history_ = nlohmann::json::array();
  // Every epoch event emitted so far, kept in checkpoints and replayed on
  // resume (trainer contract: kFieldReplayed).
  nlohmann::json epoch_events_ = nlohmann::json::array();
};

// data.train, or data.train plus SMOTE's synthetic reviews (sequence_smote.h).
TextSplit TrainingSplit(const nlohmann::json& config, const TextData& data) {
  if (config.at("method").at("oversample") != "smote") return data.train;
  SequenceSmoteOptions o;
  o.max_len = config.at("data").at("max_len").get<int64_t>();
  o.k_neighbors = config.at("method").at("smote_k").get<int>();
  o.seed = config.at("train").at("seed").get<uint32_t>();
  TextSplit out = OversampleSequences(data.train, o);
  std::fprintf(stderr, "[text] SMOTE on the pre-padded id sequences: %lld synthetic reviews\n",
               static_cast<long long>(out.size() - data.train.size()));
  return out;
}

std::vector<int64_t> TrainCounts(const TextSplit& train) {
  auto counts = train.ClassCounts();
  return std::vector<int64_t>(counts.begin(), counts.end());
}

torch::Device TrialDevice(const TrialRuntime& rt) {
  torch::Device device(rt.device.empty() ? std::string("cpu") : rt.device);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw CannotRunHere(fmt::format("--device {}: CUDA is not available in this build or machine", rt.device));
  return device;
}

BiLstmOptions ModelOptions(const nlohmann::json& config, const TrainingOptions& training, const TextData& data) {
  const auto& model = config.at("model");
  BiLstmOptions mo;
  mo.vocab_size = std::max<int64_t>(1, data.vocab.size());
  mo.embedding_dim = model.at("embedding_dim").get<int64_t>();
  mo.hidden_size = model.at("hidden_size").get<int64_t>();
  mo.num_layers = model.at("num_layers").get<int64_t>();
  mo.dropout = model.at("dropout").get<double>();
  mo.embedding_dropout = model.at("embedding_dropout").get<double>();
  mo.normed_head = training.normed_head();
  return mo;
}

BiLstmTrial::BiLstmTrial(const nlohmann::json& config, const TrainingOptions& training, const TextData& data,
                         const TrialRuntime& rt, EventWriter& events)
    : training_(training),
      data_(data),
      train_(TrainingSplit(config, data)),
      rt_(rt),
      events_(events),
      epochs_(config.at("train").at("epochs").get<int>()),
      batch_size_(config.at("train").at("batch_size").get<int64_t>()),
      eval_batch_(config.at("train").at("eval_batch_size").get<int64_t>()),
      max_len_(config.at("data").at("max_len").get<int64_t>()),
      truncation_(ParseTruncation(config.at("data").at("truncate").get<std::string>())),
      eval_every_(config.at("metrics").at("eval_every").get<int>()),
      checkpoint_every_(config.at("checkpoint").at("every").get<int>()),
      seed_(config.at("train").at("seed").get<uint64_t>()),
      counts_(TrainCounts(train_)),
      device_(TrialDevice(rt)),
      loss_(MakeLoss(training.loss, counts_)),
      eval_loss_(MakeLoss(training.loss, counts_)) {
  const BiLstmOptions model_options = ModelOptions(config, training, data);
  torch::manual_seed(seed_);
  model_ = BiLstmClassifier(model_options);
  model_->to(device_);
  optimizer_ = MakeOptimizer(training.optimizer, model_->parameters());
}

int BiLstmTrial::Resume() {
  int start_epoch = 0;
  if (rt_.resume && !rt_.checkpoint_dir.empty()) {
    nlohmann::json state;
    if (LoadCheckpoint(rt_.checkpoint_dir, *model_, *optimizer_, device_, &state)) {
      start_epoch = state.at("next_epoch").get<int>();
      history_ = state.value("history", nlohmann::json::array());
      epoch_events_ = state.value("epoch_events", nlohmann::json::array());
      std::fprintf(stderr, "[text] resumed from %s at epoch %d\n", rt_.checkpoint_dir.c_str(), start_epoch);
    }
  }
  // Replaying the recorded epochs restores best/last exactly.
  for (const auto& h : history_) {
    BinaryMetrics m;
    m.error = h.at("val_error");
    m.error_pos = h.at("error_pos");
    m.error_neg = h.at("error_neg");
    m.mean_error = h.at("mean_error");
    done_.Add(h.at(contract::kFieldEpoch).get<int>(), m);
  }
  for (nlohmann::json ev : epoch_events_) {
    ev[contract::kFieldReplayed] = true;
    events_.Emit(contract::kEventEpoch, std::move(ev));
  }
  return start_epoch;
}

std::vector<int64_t> BiLstmTrial::EpochOrder(int epoch, const EpochBalance& balance) const {
  const int64_t n = train_.size();
  std::vector<int64_t> order;
  std::mt19937_64 engine(seed_ * 1000003ULL + static_cast<uint64_t>(epoch));
  if (balance.sampling_weights) {
    std::vector<int32_t> labels(train_.labels.begin(), train_.labels.end());
    WeightedSampler sampler(PerSampleWeights(labels, *balance.sampling_weights));
    order = sampler.Sample(n, engine);
  } else {
    order.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), engine);
  }
  return order;
}

EpochFit BiLstmTrial::TrainEpoch(int epoch, const std::vector<int64_t>& order) {
  const int64_t n = train_.size();
  torch::manual_seed(seed_ * 1000003ULL + static_cast<uint64_t>(epoch) + 1);  // dropout stream per epoch
  model_->train();
  double loss_sum = 0;
  int64_t seen = 0;
  std::array<int64_t, 2> wrong{0, 0}, count{0, 0};
  std::vector<int64_t> rows;
  for (int64_t b = 0; b < n; b += batch_size_) {
    if (rt_.Interrupted()) throw Interrupted();
    rows.assign(order.begin() + b, order.begin() + std::min(n, b + batch_size_));
    TextBatch batch = MakeTextBatch(train_, rows, max_len_, truncation_);
    optimizer_->zero_grad();
    torch::Tensor logits = model_->forward(batch.ids.to(device_), batch.lengths);
    torch::Tensor l = loss_(logits, batch.labels.to(device_));
    l.backward();
    optimizer_->step();
    loss_sum += l.item<double>() * static_cast<double>(rows.size());
    seen += static_cast<int64_t>(rows.size());
    CountWrong(logits, batch.labels, wrong, count);
    int64_t step = b / batch_size_;
    if (step % 20 == 0)
      std::fprintf(stderr, "[text] epoch %d step %lld/%lld loss %.4f\n", epoch, static_cast<long long>(step),
                   static_cast<long long>((n + batch_size_ - 1) / batch_size_), l.item<double>());
  }
  EpochFit fit;
  fit.loss = seen > 0 ? loss_sum / static_cast<double>(seen) : 0.0;
  fit.error = seen > 0 ? static_cast<double>(wrong[0] + wrong[1]) / static_cast<double>(seen) : 0.0;
  for (size_t c = 0; c < 2; ++c)
    fit.per_class_error[c] = count[c] > 0 ? static_cast<double>(wrong[c]) / static_cast<double>(count[c]) : 0.0;
  return fit;
}

void BiLstmTrial::EvaluateInto(int epoch, nlohmann::json& ev) {
  EvalResult val = Evaluate(model_, eval_loss_, data_.test, max_len_, truncation_, eval_batch_, device_);
  EvalResult dev = Evaluate(model_, eval_loss_, data_.dev, max_len_, truncation_, eval_batch_, device_);
  ev["val_loss"] = val.loss;
  val.metrics.AddTo(ev);
  ev["dev_loss"] = dev.loss;
  dev.metrics.AddTo(ev, "dev_");
  if (epoch == epochs_ - 1) {
    const auto& c = val.metrics.confusion;
    ev["confusion"] = {{c[0][0], c[0][1]}, {c[1][0], c[1][1]}};
  }
  done_.Add(epoch, val.metrics);
  history_.push_back({{contract::kFieldEpoch, epoch},
                      {"val_error", val.metrics.error},
                      {"error_pos", val.metrics.error_pos},
                      {"error_neg", val.metrics.error_neg},
                      {"mean_error", val.metrics.mean_error}});
}

void BiLstmTrial::FinishEpoch(int epoch, const EpochFit& fit, double train_s, Clock::time_point t0,
                              const EpochBalance& balance) {
  const bool last = epoch == epochs_ - 1;
  nlohmann::json ev;
  ev[contract::kFieldEpoch] = epoch;
  ev["lr"] = training_.optimizer.lr;
  ev["train_loss"] = fit.loss;
  ev["train_error"] = fit.error;
  ev["train_per_class_error"] = fit.per_class_error;
  const double seen = static_cast<double>(train_.size());
  ev["samples_per_s"] = train_s > 0 ? seen / train_s : 0.0;
  if (balance.class_weights) ev["class_weights"] = *balance.class_weights;
  if (train_.size() > data_.train.size()) ev["synthetic_samples"] = train_.size() - data_.train.size();
  if (last || (epoch + 1) % eval_every_ == 0) EvaluateInto(epoch, ev);
  ev["epoch_time_s"] = Seconds(t0);
  events_.Emit(contract::kEventEpoch, ev);
  epoch_events_.push_back(ev);
  std::fprintf(stderr,
               "[text] epoch %d: train loss %.4f, train error %.4f (neg %.4f), test error %s (pos %s, neg %s), "
               "%.0f seq/s, %.0f s\n",
               epoch, fit.loss, fit.error, fit.per_class_error[0], ev.value("val_error", nlohmann::json()).dump().c_str(),
               ev.value("error_pos", nlohmann::json()).dump().c_str(),
               ev.value("error_neg", nlohmann::json()).dump().c_str(), ev["samples_per_s"].get<double>(),
               ev["epoch_time_s"].get<double>());
  const bool write = last || (checkpoint_every_ > 0 && (epoch + 1) % checkpoint_every_ == 0);
  if (write && !rt_.checkpoint_dir.empty()) {
    nlohmann::json state = {{"next_epoch", epoch + 1}, {"history", history_}, {"epoch_events", epoch_events_}};
    std::string path = WriteCheckpointBytes(rt_.checkpoint_dir, SerializeCheckpoint(*model_, *optimizer_, state));
    events_.Emit(contract::kEventCheckpoint, {{contract::kFieldEpoch, epoch}, {contract::kFieldPath, path}});
  }
}

void BiLstmTrial::Run() {
  for (int epoch = Resume(); epoch < epochs_; ++epoch) {
    auto t0 = Clock::now();
    EpochBalance balance = BalanceForEpoch(training_.balance, counts_, epoch);
    ApplyEpochClassWeights(balance, loss_);
    const EpochFit fit = TrainEpoch(epoch, EpochOrder(epoch, balance));
    FinishEpoch(epoch, fit, Seconds(t0), t0, balance);
  }
  events_.Emit(contract::kEventDone, done_.Fields());
}

}  // namespace

void TrainBiLstm(const nlohmann::json& config, const TrainingOptions& training, const TextData& data,
                 const TrialRuntime& rt, EventWriter& events) {
  CheckBiLstmConfig(config);
  BiLstmTrial trial(config, training, data, rt, events);
  trial.Run();
}

}  // namespace text

int RunTextTrial(const nlohmann::json& config, const TrainingOptions& training, const TrialRuntime& rt,
                 EventWriter& events) {
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
  events.Emit(contract::kEventStart, text::StartFields(config, data, prepare_s));
  if (arch == "bilstm") {
    text::TrainBiLstm(config, training, data, rt, events);
    return contract::kExitOk;
  }
  return text::RunClassicalTrial(config, training, data, rt, events);
}

}  // namespace ltsweep::trainer
