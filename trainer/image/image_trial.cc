#include "trainer/image/image_trial.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include "common/config_hash.h"
#include "common/trainer_contract.h"
#include "trainer/checkpoint.h"
#include "trainer/core/checkpoint_file.h"
#include "trainer/core/class_weights.h"
#include "trainer/core/errors.h"
#include "trainer/core/lr_schedule.h"
#include "trainer/core/metrics.h"
#include "trainer/core/numpy_random.h"
#include "trainer/core/smote.h"
#include "trainer/image/augment.h"
#include "trainer/image/device_batches.h"
#include "trainer/image/device_options.h"
#include "trainer/image/image_data.h"
#include "trainer/image/train_batches.h"
#include "trainer/losses.h"
#include "trainer/models.h"
#include "trainer/precision.h"
#include "trainer/training_objects.h"

namespace ltsweep::trainer {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// A 64-bit seed for one engine of one epoch (splitmix64 of the mix).
uint64_t EngineSeed(uint64_t train_seed, int64_t epoch, uint64_t stream) {
  uint64_t z = train_seed * 0x100000001B3ull + static_cast<uint64_t>(epoch) * 0x9E3779B97F4A7C15ull + stream;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
constexpr uint64_t kShuffleStream = 1;
constexpr uint64_t kAugmentStream = 2;
constexpr uint64_t kSamplerStream = 3;

Json ToJson(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// Appends SMOTE / borderline-SMOTE rows to `set` (computed on the images as
// floats in [0, 255], rounded back to uint8 so the same augmentation applies).
void OversampleImages(ImageSet& set, const Json& config, int threads) {
  SmoteOptions options;
  options.kind = ParseSmoteKind(config["method"]["oversample"].get<std::string>());
  options.k_neighbors = config["method"]["smote_k"].get<int>();
  options.m_neighbors = config["method"]["smote_m"].get<int>();
  options.seed = static_cast<uint32_t>(config["train"]["seed"].get<int64_t>());
  options.num_threads = std::max(1, threads);
  const int64_t d = set.image_size();
  std::vector<float> x(set.pixels.begin(), set.pixels.end());
  auto start = Clock::now();
  SmoteResult<float> result = Oversample<float>(x.data(), set.num, d, set.labels.data(), options);
  x.clear();
  x.shrink_to_fit();
  const int64_t added = static_cast<int64_t>(result.y_new.size());
  set.pixels.reserve(set.pixels.size() + static_cast<size_t>(added * d));
  for (float v : result.x_new) {
    set.pixels.push_back(static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)));
  }
  set.labels.insert(set.labels.end(), result.y_new.begin(), result.y_new.end());
  set.num += static_cast<int>(added);
  std::fprintf(stderr, "[ltsweep-train] %s: %lld synthetic images in %.1f s\n",
               config["method"]["oversample"].get<std::string>().c_str(), static_cast<long long>(added),
               Seconds(start));
}

// A training epoch's running sums, kept on the trial's device so a step needs
// no device-to-host copy: the loss sum in double (each batch mean times its
// size, the same arithmetic as summing on the host) and the correct count.
struct EpochSums {
  torch::Tensor loss_sum, correct;
  explicit EpochSums(torch::Device device)
      : loss_sum(torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device))),
        correct(torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device))) {}
};

struct EvalResult {
  double loss = kNaN;
  ConfusionMatrix confusion;
  explicit EvalResult(int classes) : confusion(classes) {}
};

class ImageTrial {
 public:
  ImageTrial(const Json& config, const TrainingOptions& training, const TrialRuntime& rt, EventWriter& events)
      : config_(config), training_(training), rt_(rt), events_(events), device_(rt.device) {}

  int Run();

 private:
  void Setup();
  void SetupHostTestSet();
  void SetupModel();
  // Continues from rt_.checkpoint_dir when asked and present; returns the
  // first epoch to train.
  int Resume();
  void EmitStart(int start_epoch);
  // Re-emits the checkpoint's epoch events, marked "replayed" (trainer contract).
  void ReplayEpochs();
  // Evaluates on the test set and adds the metrics to an epoch's fields.
  void EvaluateInto(int epoch, bool last, Json* fields);
  void EmitDone();
  std::vector<int64_t> EpochOrder(int epoch, const EpochBalance& balance);
  // Trains one epoch; returns false when interrupted.
  bool TrainEpoch(int epoch, Json* fields);
  // One optimisation step on `batch`: adds its loss and correct count to
  // `sums`; returns the batch's mean loss (0-d, fp32) and logits, detached.
  std::pair<torch::Tensor, torch::Tensor> Step(const TrainBatch& batch, EpochSums* sums);
  // The model's fp32 logits for `x` under train.precision and train.channels_last.
  torch::Tensor Forward(const torch::Tensor& x);
  EvalResult Evaluate();
  Json MakeState(int next_epoch) const;
  void Snapshot(int next_epoch, bool write);
  [[noreturn]] void Interrupt();
  void Progress(const std::string& line);

  const Json& config_;
  const TrainingOptions& training_;
  const TrialRuntime& rt_;
  EventWriter& events_;
  torch::Device device_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_progress_ = Clock::now();

  ImageData data_;
  std::vector<int64_t> fit_counts_;  // counts of the set actually trained on (after oversampling)
  AugmentOptions augment_;
  DeviceOptions device_options_;
  bool data_on_device_ = false;
  std::unique_ptr<TrainBatches> batches_;
  torch::Tensor test_x_, test_y_;               // host path: the normalised test set
  std::unique_ptr<DeviceImageSet> device_test_;  // device path: the uint8 test set
  ResNetCifar model_{nullptr};
  std::unique_ptr<Loss> loss_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<LrSchedule> schedule_;
  ShotThresholds shots_;
  uint64_t seed_ = 0;
  int epochs_ = 0;
  int64_t batch_size_ = 0;
  std::string config_hash_;
  bool range_test_ = false;

  // Carried across epochs and in checkpoints.
  double best_val_error_ = kNaN;
  int best_epoch_ = -1;
  double last_val_error_ = kNaN;
  double prior_wall_s_ = 0;  // wall time of earlier processes (resume)
  int64_t global_step_ = 0;
  std::vector<RangeTestPoint> range_points_;
  Json epoch_events_ = Json::array();  // every epoch event emitted so far, for replay

  std::string last_snapshot_;      // checkpoint bytes of the last completed epoch
  int last_snapshot_epoch_ = -1;   // its next_epoch
  bool last_snapshot_written_ = false;
};

void ImageTrial::Progress(const std::string& line) {
  std::fprintf(stderr, "[ltsweep-train] %s\n", line.c_str());
  last_progress_ = Clock::now();
}

void ImageTrial::Setup() {
  const Json& train = config_["train"];
  seed_ = train["seed"].get<uint64_t>();
  epochs_ = train["epochs"].get<int>();
  batch_size_ = train["batch_size"].get<int64_t>();
  config_hash_ = ResolvedConfigHash(config_);
  range_test_ = train["lr_schedule"]["type"] == "range_test";

  data_ = LoadImageData(config_);
  const ImageSet& tr = data_.train;
  if (tr.num == 0) throw DataError("data: the training set is empty after imbalancing and data.limit_train");
  if (data_.test.num == 0) throw DataError("data: the test set is empty");
  if (config_["method"]["oversample"] != "none") OversampleImages(data_.train, config_, rt_.threads);
  fit_counts_.assign(static_cast<size_t>(tr.num_classes), 0);
  for (int32_t y : data_.train.labels) ++fit_counts_[static_cast<size_t>(y)];

  augment_ = AugmentOptions::ForDataset(data_.dataset, config_["data"]["augment"].get<bool>());
  ApplyFlipKey(config_["data"]["flip"].get<std::string>(), augment_);
  device_options_ = DeviceOptions::FromConfig(config_);
  data_on_device_ = device_options_.DataOnDevice(device_.str());
  if (data_on_device_) {
    batches_ = MakeDeviceBatches(data_.train, augment_, batch_size_, device_);
    device_test_ = std::make_unique<DeviceImageSet>(data_.test, augment_, device_);
  } else {
    batches_ = MakeHostBatches(data_.train, augment_, batch_size_, device_);
    SetupHostTestSet();
  }

  SetupModel();
  schedule_ = MakeLrSchedule(LrScheduleOptions::FromConfig(config_));
  shots_.many_shot_min = config_["metrics"]["many_shot_min"].get<int64_t>();
  shots_.few_shot_max = config_["metrics"]["few_shot_max"].get<int64_t>();
}

void ImageTrial::SetupHostTestSet() {
  // The test set, scaled and normalised once.
  const ImageSet& te = data_.test;
  std::vector<int64_t> all(static_cast<size_t>(te.num));
  std::iota(all.begin(), all.end(), 0);
  test_x_ = torch::empty({te.num, te.channels, te.height, te.width}, torch::kFloat32);
  AssembleEvalBatch(te, all.data(), te.num, augment_, test_x_.data_ptr<float>());
  test_y_ = torch::empty({te.num}, torch::kInt64);
  for (int64_t i = 0; i < te.num; ++i) test_y_[i] = static_cast<int64_t>(te.labels[static_cast<size_t>(i)]);
  test_x_ = test_x_.to(device_);
  test_y_ = test_y_.to(device_);
}

void ImageTrial::SetupModel() {
  const ImageSet& tr = data_.train;
  torch::manual_seed(seed_);
  model_ = MakeResNet(config_["model"]["arch"].get<std::string>(), training_.normed_head(), tr.num_classes,
                      tr.channels);
  model_->to(device_);
  if (device_options_.channels_last) ToChannelsLast(*model_);
  loss_ = std::make_unique<Loss>(MakeLoss(training_.loss, fit_counts_));
  optimizer_ = MakeOptimizer(training_.optimizer, model_->parameters());
}

std::vector<int64_t> ImageTrial::EpochOrder(int epoch, const EpochBalance& balance) {
  const int64_t n = data_.train.num;
  if (balance.sampling_weights) {
    WeightedSampler sampler(PerSampleWeights(data_.train.labels, *balance.sampling_weights));
    std::mt19937_64 engine(EngineSeed(seed_, epoch, kSamplerStream));
    return sampler.Sample(n, engine);
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  NumpyRandomState rng(static_cast<uint32_t>(EngineSeed(seed_, epoch, kShuffleStream)));
  rng.Shuffle(order.data(), order.size());
  return order;
}

Json ImageTrial::MakeState(int next_epoch) const {
  Json points = Json::array();
  for (const auto& p : range_points_) points.push_back({p.lr, p.loss, p.accuracy});
  return Json{{"next_epoch", next_epoch},
              {"config_hash", config_hash_},
              {"best_val_error", ToJson(best_val_error_)},
              {"best_epoch", best_epoch_},
              {"last_val_error", ToJson(last_val_error_)},
              {"wall_time_s", prior_wall_s_ + Seconds(start_)},
              {"global_step", global_step_},
              {"range_test", points},
              {"epoch_events", epoch_events_}};
}

void ImageTrial::Snapshot(int next_epoch, bool write) {
  last_snapshot_ = SerializeCheckpoint(*model_, *optimizer_, MakeState(next_epoch));
  last_snapshot_epoch_ = next_epoch;
  last_snapshot_written_ = false;
  if (write && !rt_.checkpoint_dir.empty()) {
    std::string path = WriteCheckpointBytes(rt_.checkpoint_dir, last_snapshot_);
    last_snapshot_written_ = true;
    events_.Emit(contract::kEventCheckpoint, {{contract::kFieldEpoch, next_epoch - 1}, {contract::kFieldPath, path}});
  }
}

void ImageTrial::Interrupt() {
  batches_->Stop();
  if (rt_.checkpoint_dir.empty()) {
    Progress("interrupted; no --checkpoint-dir, so no checkpoint written");
  } else if (!last_snapshot_.empty()) {
    std::string path = (std::filesystem::path(rt_.checkpoint_dir) / kCheckpointFile).string();
    if (!last_snapshot_written_) path = WriteCheckpointBytes(rt_.checkpoint_dir, last_snapshot_);
    events_.Emit(contract::kEventCheckpoint, {{contract::kFieldEpoch, last_snapshot_epoch_ - 1},
                                              {contract::kFieldPath, path},
                                              {contract::kFieldInterrupted, true}});
    Progress(fmt::format("interrupted; checkpoint of epoch {} in {}", last_snapshot_epoch_ - 1, path));
  }
  throw Interrupted();
}

torch::Tensor ImageTrial::Forward(const torch::Tensor& x) {
  const torch::Tensor input = device_options_.channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
  torch::Tensor logits;
  {
    AutocastScope autocast(device_.type(), device_options_.precision == Precision::kBf16);
    logits = model_->forward(input);
  }
  return logits.to(torch::kFloat32);  // the loss and the metrics in fp32 (a no-op without autocast)
}

std::pair<torch::Tensor, torch::Tensor> ImageTrial::Step(const TrainBatch& batch, EpochSums* sums) {
  optimizer_->zero_grad();
  torch::Tensor logits = Forward(batch.x);
  torch::Tensor loss = (*loss_)(logits, batch.y);
  loss.backward();
  optimizer_->step();
  torch::NoGradGuard no_grad;
  sums->loss_sum += loss.to(torch::kFloat64) * static_cast<double>(batch.size);
  sums->correct += logits.argmax(1).eq(batch.y).sum();
  return {loss.detach(), logits.detach()};
}

bool ImageTrial::TrainEpoch(int epoch, Json* fields) {
  EpochBalance balance = BalanceForEpoch(training_.balance, fit_counts_, epoch);
  ApplyEpochClassWeights(balance, *loss_);
  batches_->StartEpoch(EpochOrder(epoch, balance), EngineSeed(seed_, epoch, kAugmentStream));
  const int iters = static_cast<int>(batches_->num_batches());
  model_->train();
  EpochSums sums(device_);
  int64_t seen = 0;
  double first_lr = kNaN;
  auto t0 = Clock::now();
  TrainBatch batch;
  while (batches_->Next(&batch)) {
    if (rt_.Interrupted()) return false;
    const int it = static_cast<int>(batch.index);
    const double lr = schedule_->LearningRate(epoch, it, iters);
    if (it == 0) first_lr = lr;
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
    auto [loss, logits] = Step(batch, &sums);
    seen += batch.size;
    ++global_step_;
    if (range_test_) {  // one device sync per step, for the per-step event
      const double loss_value = loss.item<double>();
      const int64_t batch_correct = logits.argmax(1).eq(batch.y).sum().item<int64_t>();
      RangeTestPoint p{lr, loss_value, static_cast<double>(batch_correct) / static_cast<double>(batch.size)};
      range_points_.push_back(p);
      events_.Emit(contract::kEventRangeTest, {{"step", global_step_ - 1}, {contract::kFieldEpoch, epoch}, {"lr", lr},
                                  {"loss", ToJson(loss_value)}, {"accuracy", p.accuracy}});
    }
    if (Seconds(last_progress_) >= 5.0) {  // reads the sums: one device sync per progress line
      Progress(fmt::format("epoch {}/{} step {}/{} loss {:.4f} lr {:.5g} {:.1f} img/s", epoch + 1, epochs_, it + 1,
                           iters, sums.loss_sum.item<double>() / static_cast<double>(seen), lr,
                           static_cast<double>(seen) / Seconds(t0)));
    }
  }
  const double loss_sum = sums.loss_sum.item<double>();  // waits for the epoch's last step
  const int64_t correct = sums.correct.item<int64_t>();
  const double train_s = Seconds(t0);
  (*fields)["lr"] = first_lr;
  (*fields)["train_loss"] = ToJson(loss_sum / static_cast<double>(std::max<int64_t>(seen, 1)));
  (*fields)["train_error"] = 1.0 - static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(seen, 1));
  (*fields)["samples_per_s"] = static_cast<double>(seen) / std::max(train_s, 1e-9);
  (*fields)["iterations"] = iters;
  return true;
}

EvalResult ImageTrial::Evaluate() {
  const int64_t n = data_.test.num;
  const int64_t bs = config_["train"]["eval_batch_size"].get<int64_t>();
  EvalResult result(data_.test.num_classes);
  model_->eval();
  torch::NoGradGuard no_grad;
  double loss_sum = 0;
  std::vector<int32_t> truth, predicted;
  for (int64_t begin = 0; begin < n; begin += bs) {
    const int64_t end = std::min(n, begin + bs);
    torch::Tensor x = device_test_ ? device_test_->Plain(begin, end) : test_x_.slice(0, begin, end);
    torch::Tensor y = device_test_ ? device_test_->labels().slice(0, begin, end) : test_y_.slice(0, begin, end);
    torch::Tensor logits = Forward(x);
    // The reference logs the training criterion's batch mean, averaged by batch size.
    loss_sum += (*loss_)(logits, y).item<double>() * static_cast<double>(end - begin);
    torch::Tensor pred = logits.argmax(1).to(torch::kCPU, torch::kInt32).contiguous();
    torch::Tensor yt = y.to(torch::kCPU, torch::kInt32).contiguous();
    result.confusion.AddBatch(yt.data_ptr<int32_t>(), pred.data_ptr<int32_t>(), end - begin);
  }
  result.loss = loss_sum / static_cast<double>(n);
  return result;
}

int ImageTrial::Resume() {
  if (!rt_.resume || rt_.checkpoint_dir.empty()) return 0;
  Json state;
  if (!LoadCheckpoint(rt_.checkpoint_dir, *model_, *optimizer_, device_, &state)) return 0;
  if (state.value("config_hash", "") != config_hash_) {
    throw ConfigError("--resume: the checkpoint in " + rt_.checkpoint_dir +
                      " was written for a different trial config (hash " + state.value("config_hash", "?") + ")");
  }
  const int start_epoch = state["next_epoch"].get<int>();
  best_val_error_ = state["best_val_error"].is_null() ? kNaN : state["best_val_error"].get<double>();
  best_epoch_ = state["best_epoch"].get<int>();
  last_val_error_ = state["last_val_error"].is_null() ? kNaN : state["last_val_error"].get<double>();
  prior_wall_s_ = state["wall_time_s"].get<double>();
  global_step_ = state["global_step"].get<int64_t>();
  for (const auto& p : state["range_test"]) {
    range_points_.push_back({p[0].get<double>(), p[1].get<double>(), p[2].get<double>()});
  }
  // Absent from checkpoints written before replay existed: nothing to replay.
  epoch_events_ = state.value("epoch_events", Json::array());
  Progress(fmt::format("resuming from {} at epoch {}", rt_.checkpoint_dir, start_epoch));
  return start_epoch;
}

void ImageTrial::EmitStart(int start_epoch) {
  const ImageSet& tr = data_.train;
  Json start = {{"dataset", data_.dataset},
                {"train_size", tr.num},
                {"test_size", data_.test.num},
                {"num_classes", tr.num_classes},
                {"image_shape", {tr.channels, tr.height, tr.width}},
                {"train_class_counts", data_.train_class_counts},
                {"parameters", CountParameters(*model_)},
                {"device", device_.str()},
                {"threads", rt_.threads},
                {"data_on_device", data_on_device_},
                {"precision", PrecisionName(device_options_.precision)},
                {"channels_last", device_options_.channels_last},
                {"flip", augment_.augment && augment_.flip},
                {"config_hash", config_hash_},
                {"start_epoch", start_epoch},
                {"epochs", epochs_}};
  if (!tr.class_names.empty()) start["class_names"] = tr.class_names;
  if (config_["method"]["oversample"] != "none") start["oversampled_class_counts"] = fit_counts_;
  events_.Emit(contract::kEventStart, start);
  Progress(fmt::format("{} {} on {}: {} train / {} test images, {} parameters, {} thread(s), {}", data_.dataset,
                       config_["model"]["arch"].get<std::string>(), device_.str(), tr.num, data_.test.num,
                       CountParameters(*model_), rt_.threads, config_hash_.substr(0, 12)));
}

void ImageTrial::ReplayEpochs() {
  for (Json fields : epoch_events_) {
    fields[contract::kFieldReplayed] = true;
    events_.Emit(contract::kEventEpoch, std::move(fields));
  }
  if (!epoch_events_.empty()) Progress(fmt::format("replayed {} checkpointed epoch(s)", epoch_events_.size()));
}

void ImageTrial::EvaluateInto(int epoch, bool last, Json* fields) {
  EvalResult eval = Evaluate();
  ClassificationSummary s = Summarize(eval.confusion, data_.train_class_counts, shots_);
  last_val_error_ = s.top1_error;
  if (std::isnan(best_val_error_) || s.top1_error < best_val_error_) {
    best_val_error_ = s.top1_error;
    best_epoch_ = epoch;
  }
  Json per_class = Json::array();
  for (double e : s.per_class_error) per_class.push_back(ToJson(e));
  Json& f = *fields;
  f["val_loss"] = ToJson(eval.loss);
  f["val_error"] = ToJson(s.top1_error);
  f[std::string(contract::kPerClassPrefix) + "error"] = per_class;
  f["many_shot_error"] = ToJson(s.many_shot_error);
  f["medium_shot_error"] = ToJson(s.medium_shot_error);
  f["few_shot_error"] = ToJson(s.few_shot_error);
  f["macro_precision"] = ToJson(s.macro_precision);
  f["macro_recall"] = ToJson(s.macro_recall);
  f["macro_f1"] = ToJson(s.macro_f1);
  if (last) f["confusion"] = eval.confusion.Rows();
}

void ImageTrial::EmitDone() {
  Json done = {{contract::kFieldBestValError, ToJson(best_val_error_)},
               {contract::kFieldBestEpoch, best_epoch_},
               {contract::kFieldLastValError, ToJson(last_val_error_)},
               {"epochs", epochs_},
               {"wall_time_s", prior_wall_s_ + Seconds(start_)}};
  if (range_test_ && !range_points_.empty()) {
    SuggestedLrBounds bounds = SuggestLrBounds(range_points_);
    done["suggested_min_lr"] = bounds.min_lr;
    done["suggested_max_lr"] = bounds.max_lr;
    done["suggestion_rule"] = bounds.rule;
    done[contract::kFieldRangeTestCurve] = RangeTestCurveJson(range_points_, contract::kRangeTestCurveMaxPoints);
  }
  events_.Emit(contract::kEventDone, done);
}

int ImageTrial::Run() {
  Setup();
  const int start_epoch = Resume();
  EmitStart(start_epoch);
  ReplayEpochs();
  // The state before any further epoch, so SIGTERM always has a checkpoint to write.
  Snapshot(start_epoch, /*write=*/false);
  const int eval_every = config_["metrics"]["eval_every"].get<int>();
  const int ckpt_every = config_["checkpoint"]["every"].get<int>();
  for (int epoch = start_epoch; epoch < epochs_; ++epoch) {
    if (rt_.Interrupted()) Interrupt();
    auto t0 = Clock::now();
    Json fields = {{contract::kFieldEpoch, epoch}};
    if (!TrainEpoch(epoch, &fields)) Interrupt();
    const bool last = epoch + 1 == epochs_;
    if (last || (epoch + 1) % eval_every == 0) EvaluateInto(epoch, last, &fields);
    fields["epoch_time_s"] = Seconds(t0);
    events_.Emit(contract::kEventEpoch, fields);
    epoch_events_.push_back(fields);
    Progress(fmt::format("epoch {}/{} lr {:.5g} train_loss {:.4f} val_error {} {:.0f} img/s {:.1f} s", epoch + 1,
                         epochs_, fields["lr"].get<double>(),
                         fields["train_loss"].is_null() ? kNaN : fields["train_loss"].get<double>(),
                         fields.contains("val_error") ? fields["val_error"].dump() : "-",
                         fields["samples_per_s"].get<double>(), fields["epoch_time_s"].get<double>()));
    const bool write = last || (ckpt_every > 0 && (epoch + 1) % ckpt_every == 0);
    Snapshot(epoch + 1, write);
    if (!last && rt_.stop_after_epochs > 0 && epoch + 1 - start_epoch >= rt_.stop_after_epochs) {
      Progress(fmt::format("--stop-after {}: stopping after epoch {}", rt_.stop_after_epochs, epoch));
      Interrupt();
    }
  }
  batches_->Stop();
  EmitDone();
  return contract::kExitOk;
}

}  // namespace

int RunImageTrial(const Json& config, const TrainingOptions& training, const TrialRuntime& rt, EventWriter& events) {
  ImageTrial trial(config, training, rt, events);
  return trial.Run();
}

}  // namespace ltsweep::trainer
