#include "common/config_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "common/edit_distance.h"
#include "common/text_defaults.h"

namespace ltsweep {
namespace {

using S = std::vector<std::string>;
constexpr auto kStr = ValueType::kString;
constexpr auto kInt = ValueType::kInt;
constexpr auto kNum = ValueType::kNumber;
constexpr auto kBool = ValueType::kBool;
constexpr auto kIntList = ValueType::kIntList;
constexpr auto kNumList = ValueType::kNumberList;
constexpr std::optional<double> kNone = std::nullopt;

std::vector<ConfigKey> BuildSchema() {
  return {
      // ---------------------------------------------------------------- data
      {"data.dataset", kStr, "fashion_mnist", S{"cifar10", "cifar100", "fashion_mnist", "imdb", "synthetic"}, kNone, kNone,
       "Data set. cifar10/cifar100: binary CIFAR batches (plain or .xz); fashion_mnist: IDX files (plain or .gz); "
       "imdb: aclImdb folder or imdb_{train,test}.tsv.gz; synthetic: generated in memory, for tests."},
      {"data.root", kStr, "", {}, kNone, kNone,
       "Folder holding the data set files. Empty: the data set's standard place "
       "(/usr/share/datasets/fashion-mnist for fashion_mnist; required for cifar10, cifar100 and imdb)."},
      {"data.cache_dir", kStr, "", {}, kNone, kNone,
       "Folder for decompressed and tokenised data caches. Empty: $LTSWEEP_CACHE_DIR, else ~/.cache/ltsweep."},
      {"data.imbalance.type", kStr, "exp", S{"exp", "step", "none"}, kNone, kNone,
       "Long-tailed profile of the training set: exp (n_i = n_max * (1/ratio)^(i/(C-1))), step (first half of the "
       "classes full, second half n_max/ratio) or none (balanced). Images only; the test set stays balanced."},
      {"data.imbalance.ratio", kNum, 100.0, {}, 1.0, 1e6,
       "Imbalance ratio rho = n_max / n_min (images)."},
      {"data.imbalance.seed", kInt, 0, {}, 0.0, 4294967295.0,
       "Seed of the per-class MT19937 shuffle choosing which images are kept (the reference's rand_number); "
       "independent of train.seed so every trial of a sweep sees the same subset."},
      {"data.imbalance.keep_fraction", kNum, 0.1, {}, 0.0, 1.0,
       "IMDB: fraction of the negative training reviews kept (0.1 removes 90%)."},
      {"data.val_split", kNum, 0.2, {}, 0.0, 0.9,
       "IMDB: fraction of the (imbalanced) training data held out as the dev split."},
      {"data.max_features", kInt, 6000, {}, 10.0, 1000000.0,
       "IMDB: vocabulary size, the most frequent training tokens."},
      {"data.max_len", kInt, 200, {}, 1.0, 100000.0,
       "IMDB: tokens per review after truncation or padding."},
      {"data.truncate", kStr, "pre", S{"pre", "post"}, kNone, kNone,
       "IMDB: which tokens a review longer than data.max_len keeps: pre drops them at the start, keeping the last "
       "max_len (Keras' pad_sequences default); post keeps the first max_len."},
      {"data.stop_words", kStr, "sklearn", S{"sklearn", "sklearn_keep_negations", "none"}, kNone, kNone,
       "IMDB: stop words removed before lemmatising. sklearn: scikit-learn's 318-word list (the report's; it holds "
       "the negations not, no, never, ...); sklearn_keep_negations: that list less 15 negations (no, not, nor, "
       "never, nothing, nobody, none, noone, neither, nowhere, cannot, without, cant, couldnt, hasnt), with "
       "negated contractions kept as one word (don't -> dont); none: nothing removed (contractions as for "
       "sklearn_keep_negations). Text only: images refuse anything but sklearn."},
      {"data.augment", kBool, true, {}, kNone, kNone,
       "CIFAR: pad 4 + random 32x32 crop + horizontal flip on training images (as the reference). "
       "Fashion-MNIST: pad 2 + random 28x28 crop, no flip (data.flip changes the flip)."},
      {"data.flip", kStr, "auto", S{"auto", "on", "off"}, kNone, kNone,
       "Random horizontal flip (p = 0.5) of training images when data.augment is true. auto: the data set's "
       "default (cifar10, cifar100: on, as the reference; fashion_mnist, synthetic: off, mirrored garments are "
       "not in the data); on; off. Images only: on/off need data.augment true and an image data set."},
      {"data.limit_train", kInt, 0, {}, 0.0, 1e8,
       "Keep at most this many training samples after imbalancing (0 = all): a per-class proportional cut, for quick runs."},
      {"data.limit_test", kInt, 0, {}, 0.0, 1e8,
       "Evaluate on at most this many test samples (0 = all), taken class-stratified."},
      {"data.synthetic.num_classes", kInt, 10, {}, 2.0, 1000.0, "synthetic: number of classes."},
      {"data.synthetic.train_per_class", kInt, 500, {}, 1.0, 10000.0,
       "synthetic: training samples of the head class before imbalancing."},
      {"data.synthetic.test_per_class", kInt, 100, {}, 1.0, 10000.0, "synthetic: test samples per class."},
      {"data.synthetic.image_size", kInt, 8, {}, 4.0, 64.0, "synthetic: side of the square 3-channel images."},
      // --------------------------------------------------------------- model
      {"model.arch", kStr, "resnet32",
       S{"resnet32", "resnet20", "resnet14", "resnet8", "bilstm", "logreg", "naive_bayes", "knn", "xgboost"}, kNone, kNone,
       "Model. resnetN: the reference's CIFAR ResNet (option-A shortcuts), N = 6n+2; bilstm: 2-layer bidirectional "
       "LSTM for text; logreg, naive_bayes, knn, xgboost: classical baselines on bag-of-words/TF-IDF features."},
      {"model.head", kStr, "auto", S{"auto", "linear", "normed"}, kNone, kNone,
       "Classifier head of neural models: auto (normed when method.loss is ldam, else linear), linear, normed (cosine)."},
      {"model.embedding_dim", kInt, 128, {}, 1.0, 4096.0, "bilstm: embedding size."},
      {"model.hidden_size", kInt, 128, {}, 1.0, 4096.0, "bilstm: LSTM hidden units per direction."},
      {"model.num_layers", kInt, 2, {}, 1.0, 8.0, "bilstm: stacked LSTM layers."},
      {"model.dropout", kNum, 0.5, {}, 0.0, 0.95, "bilstm: dropout between layers and before the classifier."},
      {"model.embedding_dropout", kNum, 0.0, {}, 0.0, 0.95,
       "bilstm: dropout on the embeddings (the report has none)."},
      {"model.features", kStr, "tfidf", S{"bow", "binary", "tfidf"}, kNone, kNone,
       "Classical models: document features (counts, presence, or TF-IDF), over data.max_features tokens."},
      {"model.l2", kNum, 1.0, {}, 0.0, 1e6, "logreg: inverse regularisation strength C (as scikit-learn)."},
      {"model.knn_k", kInt, 5, {}, 1.0, 1000.0, "knn: neighbours (cosine distance)."},
      {"model.xgb_rounds", kInt, 100, {}, 1.0, 10000.0, "xgboost: boosting rounds."},
      {"model.xgb_max_depth", kInt, 6, {}, 1.0, 32.0, "xgboost: tree depth."},
      // -------------------------------------------------------------- method
      {"method.loss", kStr, "ce", S{"ce", "focal", "ldam"}, kNone, kNone,
       "Loss: cross-entropy (ERM), focal (method.focal_gamma), LDAM (method.ldam_max_m, method.ldam_s)."},
      {"method.focal_gamma", kNum, 1.0, {}, 0.0, 10.0, "Focal loss gamma (the reference uses 1)."},
      {"method.ldam_max_m", kNum, 0.5, {}, 0.0, 10.0, "LDAM: margin of the rarest class."},
      {"method.ldam_s", kNum, 30.0, {}, 0.0, 1000.0, "LDAM: logit scale."},
      {"method.reweight", kStr, "none", S{"none", "inverse", "cb"}, kNone, kNone,
       "Class weights in the loss: none, inverse (1/n_c), cb (class-balanced effective number with method.cb_beta). "
       "Normalised to sum to the number of classes. With method.defer=drw they apply from method.drw_epoch on "
       "(cb is the default then)."},
      {"method.resample", kStr, "none", S{"none", "inverse", "cb"}, kNone, kNone,
       "Class-aware sampling of training batches: none, inverse (balanced), cb (effective number, method.cb_beta). "
       "With method.defer=drs it applies from method.drw_epoch on."},
      {"method.defer", kStr, "none", S{"none", "drw", "drs"}, kNone, kNone,
       "Deferred re-balancing: drw (re-weighting) or drs (re-sampling) switched on at method.drw_epoch; before it, "
       "plain ERM weighting and sampling."},
      {"method.drw_epoch", kInt, 160, {}, 0.0, 100000.0, "Epoch (0-based) at which DRW/DRS switch on."},
      {"method.cb_beta", kNum, 0.9999, {}, 0.0, 0.999999999, "beta of the class-balanced effective number."},
      {"method.oversample", kStr, "none", S{"none", "smote", "borderline1", "borderline2"}, kNone, kNone,
       "Oversampling of the training set before training (imbalanced-learn 0.10 semantics): SMOTE or "
       "borderline-SMOTE kind 1/2, in input space for images, in feature space for the classical text models; "
       "bilstm: smote only, on the pre-padded token-id sequences (the report's way, docs/text-track.md)."},
      {"method.smote_k", kInt, 5, {}, 1.0, 100.0, "SMOTE: neighbours used for interpolation."},
      {"method.smote_m", kInt, 10, {}, 1.0, 100.0, "Borderline-SMOTE: neighbours used to find the danger set."},
      // --------------------------------------------------------------- train
      {"train.seed", kInt, 0, {}, 0.0, 4294967295.0,
       "Seed for weights, shuffling, augmentation and oversampling. A sweep's seeds: list sets it per trial."},
      {"train.epochs", kInt, 200, {}, 1.0, 100000.0, "Training epochs."},
      {"train.batch_size", kInt, 128, {}, 1.0, 65536.0, "Mini-batch size (the last partial batch is kept)."},
      {"train.eval_batch_size", kInt, 256, {}, 1.0, 65536.0, "Batch size for evaluation."},
      {"train.optimizer", kStr, "sgd", S{"sgd", "adam"}, kNone, kNone,
       "sgd (momentum, weight decay on all parameters, as the reference) or adam (betas 0.9/0.999). "
       "imdb: adam (the report's Keras default)."},
      {"train.lr", kNum, 0.1, {}, 0.0, 10.0, "Base learning rate. imdb: 0.001 (Adam's default)."},
      {"train.momentum", kNum, 0.9, {}, 0.0, 1.0, "SGD momentum."},
      {"train.weight_decay", kNum, 2e-4, {}, 0.0, 1.0,
       "L2 weight decay on all parameters. imdb: 0 (Adam's default)."},
      {"train.lr_schedule.type", kStr, "reference", S{"reference", "step", "triangular", "constant", "range_test"}, kNone,
       kNone,
       "reference: linear warm-up over warmup_epochs, then lr * gamma^k after the k-th milestone (the LDAM-DRW script); "
       "step: the same without warm-up; triangular: Smith's triangular cycle between min_lr and max_lr with "
       "step_size iterations per half cycle, its bounds multiplied by gamma^k after the k-th milestone; constant; "
       "range_test: lr rises linearly from min_lr to max_lr over the whole run. "
       "imdb: constant (the only one the text track supports)."},
      {"train.lr_schedule.warmup_epochs", kInt, 5, {}, 0.0, 100000.0, "reference: epochs of linear warm-up."},
      {"train.lr_schedule.milestones", kIntList, Json::array({160, 180}), {}, 0.0, 100000.0,
       "Epochs (0-based) at which the learning rate is multiplied by gamma (reference, step, triangular)."},
      {"train.lr_schedule.gamma", kNum, 0.01, {}, 0.0, 10.0,
       "Factor applied at each milestone, compounding (the reference: 0.01, then 0.0001 of the base lr)."},
      {"train.lr_schedule.min_lr", kNum, 0.001, {}, 0.0, 10.0, "triangular and range_test: lower bound."},
      {"train.lr_schedule.max_lr", kNum, 0.1, {}, 0.0, 10.0, "triangular and range_test: upper bound."},
      {"train.lr_schedule.step_size", kInt, 2000, {}, 1.0, 1e7,
       "triangular: iterations per half cycle (Smith suggests 2-10 epochs' worth)."},
      // GPU path (image track; docs/gpu.md)
      {"train.data_on_device", kStr, "auto", S{"auto", "true", "false"}, kNone, kNone,
       "Images: keep the whole training and test set on the device as uint8 and build each batch there "
       "(crop, flip, normalise by index arithmetic; no copy per batch). auto: on CUDA only; false: the host "
       "loader. Batches equal the host loader's for the same seed. Measured effect: to be measured on a GPU."},
      {"train.precision", kStr, "fp32", S{"fp32", "bf16"}, kNone, kNone,
       "Images: bf16 runs the forward pass under bfloat16 autocast (CUDA, or CPU with bf16 kernels); the loss, "
       "the gradients' master weights and the optimizer stay fp32. Measured effect: to be measured on a GPU."},
      {"train.channels_last", kBool, false, {}, kNone, kNone,
       "Images: NHWC (channels-last) weights and inputs. Measured effect: to be measured on a GPU."},
      // ------------------------------------------------------------- metrics
      {"metrics.many_shot_min", kInt, 100, {}, 0.0, 1e8,
       "Classes with more than this many training samples count as many-shot."},
      {"metrics.few_shot_max", kInt, 20, {}, 0.0, 1e8,
       "Classes with fewer than this many training samples count as few-shot; the rest are medium-shot."},
      {"metrics.eval_every", kInt, 1, {}, 1.0, 100000.0, "Evaluate on the test set every this many epochs (and at the last)."},
      {"checkpoint.every", kInt, 1, {}, 0.0, 100000.0, "Write a checkpoint every this many epochs (0 = only at the end)."},
  };
}

bool IsNumber(const Json& v) { return v.is_number() && !v.is_boolean(); }
bool IsIntegral(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return true;
  if (v.is_number_float()) {
    double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15;
  }
  return false;
}

std::string Brief(const Json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

Status CheckScalar(const ConfigKey& key, ValueType type, const Json& v, const std::string& where) {
  switch (type) {
    case ValueType::kString:
      if (!v.is_string())
        return InvalidArgumentError(fmt::format("{}: expected a string, got {}", where, Brief(v)));
      if (!key.choices.empty() &&
          std::find(key.choices.begin(), key.choices.end(), v.get<std::string>()) == key.choices.end()) {
        std::string list;
        for (const auto& c : key.choices) list += (list.empty() ? "" : ", ") + c;
        return InvalidArgumentError(fmt::format("{}: unknown value {}; expected one of: {}", where, Brief(v), list));
      }
      return Status::Ok();
    case ValueType::kBool:
      if (!v.is_boolean())
        return InvalidArgumentError(fmt::format("{}: expected true or false, got {}", where, Brief(v)));
      return Status::Ok();
    case ValueType::kInt:
    case ValueType::kNumber: {
      if (!IsNumber(v))
        return InvalidArgumentError(fmt::format("{}: expected a{}, got {}", where,
                                                type == ValueType::kInt ? "n integer" : " number", Brief(v)));
      if (type == ValueType::kInt && !IsIntegral(v))
        return InvalidArgumentError(fmt::format("{}: expected an integer, got {}", where, Brief(v)));
      double d = v.get<double>();
      if (!std::isfinite(d)) return InvalidArgumentError(fmt::format("{}: value must be finite", where));
      if (key.min && d < *key.min)
        return InvalidArgumentError(fmt::format("{}: {} is below the minimum {}", where, Brief(v), *key.min));
      if (key.max && d > *key.max)
        return InvalidArgumentError(fmt::format("{}: {} is above the maximum {}", where, Brief(v), *key.max));
      return Status::Ok();
    }
    default:
      return InternalError("not a scalar type");
  }
}

void FlattenInto(const Json& node, const std::string& prefix, std::vector<std::pair<std::string, Json>>& out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      FlattenInto(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
  } else {
    out.emplace_back(prefix, node);
  }
}

}  // namespace

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString: return "string";
    case ValueType::kInt: return "integer";
    case ValueType::kNumber: return "number";
    case ValueType::kBool: return "bool";
    case ValueType::kIntList: return "list of integers";
    case ValueType::kNumberList: return "list of numbers";
  }
  return "?";
}

const std::vector<ConfigKey>& TrialConfigSchema() {
  static const std::vector<ConfigKey> schema = BuildSchema();
  return schema;
}

const ConfigKey* FindConfigKey(std::string_view path) {
  static const std::map<std::string, const ConfigKey*, std::less<>> index = [] {
    std::map<std::string, const ConfigKey*, std::less<>> m;
    for (const auto& k : TrialConfigSchema()) m.emplace(k.path, &k);
    return m;
  }();
  auto it = index.find(path);
  return it == index.end() ? nullptr : it->second;
}

bool IsConfigSection(std::string_view path) {
  for (const auto& k : TrialConfigSchema()) {
    if (k.path.size() > path.size() && k.path.compare(0, path.size(), path) == 0 && k.path[path.size()] == '.')
      return true;
  }
  return false;
}

std::vector<std::string> SuggestConfigKeys(std::string_view path) {
  std::vector<std::pair<size_t, std::string>> scored;
  // Compare against full paths and against the last component, so "lr_shedule"
  // and "train.lr_shedule.type" both find their key.
  std::string_view leaf = path.substr(path.rfind('.') == std::string_view::npos ? 0 : path.rfind('.') + 1);
  for (const auto& k : TrialConfigSchema()) {
    size_t d = EditDistance(path, k.path, AdjacentSwap::kTwoEdits);
    std::string_view kleaf = std::string_view(k.path).substr(k.path.rfind('.') + 1);
    d = std::min(d, EditDistance(leaf, kleaf, AdjacentSwap::kTwoEdits) + 2);
    scored.emplace_back(d, k.path);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  size_t limit = std::max<size_t>(2, path.size() / 3);
  for (const auto& [d, p] : scored) {
    if (d > limit || out.size() >= 3) break;
    out.push_back(p);
  }
  return out;
}

Status CheckConfigValue(const ConfigKey& key, const Json& value) {
  if (key.type == ValueType::kIntList || key.type == ValueType::kNumberList) {
    if (!value.is_array())
      return InvalidArgumentError(fmt::format("{}: expected a {}, got {}", key.path, ValueTypeName(key.type), Brief(value)));
    ValueType item = key.type == ValueType::kIntList ? ValueType::kInt : ValueType::kNumber;
    for (size_t i = 0; i < value.size(); ++i) {
      LTSWEEP_RETURN_IF_ERROR(CheckScalar(key, item, value[i], fmt::format("{}[{}]", key.path, i)));
    }
    return Status::Ok();
  }
  return CheckScalar(key, key.type, value, key.path);
}

Json NormalizeConfigValue(const ConfigKey& key, const Json& value) {
  switch (key.type) {
    case ValueType::kInt: return Json(static_cast<int64_t>(value.get<double>()));
    case ValueType::kNumber: return Json(value.get<double>());
    case ValueType::kIntList: {
      Json out = Json::array();
      for (const auto& v : value) out.push_back(static_cast<int64_t>(v.get<double>()));
      return out;
    }
    case ValueType::kNumberList: {
      Json out = Json::array();
      for (const auto& v : value) out.push_back(v.get<double>());
      return out;
    }
    default: return value;
  }
}

const Json* GetPath(const Json& config, std::string_view path) {
  const Json* node = &config;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!node->is_object()) return nullptr;
    auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
    if (dot == std::string_view::npos) return node;
    start = dot + 1;
  }
}

void SetPath(Json& config, std::string_view path, Json value) {
  Json* node = &config;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!node->is_object()) *node = Json::object();
    if (dot == std::string_view::npos) {
      (*node)[part] = std::move(value);
      return;
    }
    node = &(*node)[part];
    start = dot + 1;
  }
}

Json DefaultTrialConfig() {
  Json config = Json::object();
  for (const auto& k : TrialConfigSchema()) SetPath(config, k.path, NormalizeConfigValue(k, k.default_value));
  return config;
}

const std::vector<std::pair<std::string, Json>>& TextTrackDefaults() {
  // The report's "Adam with default settings" at a constant learning rate.
  static const std::vector<std::pair<std::string, Json>> defaults = {
      {"train.optimizer", "adam"},
      {"train.lr", 0.001},
      {"train.weight_decay", 0.0},
      {"train.lr_schedule.type", "constant"},
  };
  return defaults;
}

const Json* TextTrackDefault(std::string_view path) {
  for (const auto& [key, value] : TextTrackDefaults()) {
    if (key == path) return &value;
  }
  return nullptr;
}

Json DefaultTextTrialConfig() {
  Json config = DefaultTrialConfig();
  SetPath(config, "data.dataset", "imdb");
  for (const auto& [path, value] : TextTrackDefaults()) SetPath(config, path, NormalizeConfigValue(*FindConfigKey(path), value));
  return config;
}

const Json& ConfigDefault(std::string_view path) {
  static const Json defaults = DefaultTrialConfig();
  const Json* value = GetPath(defaults, path);
  if (value == nullptr || value->is_object()) {
    throw std::logic_error(fmt::format("ConfigDefault: {} is not a trial-config key", path));
  }
  return *value;
}

std::vector<std::pair<std::string, Json>> FlattenConfig(const Json& config) {
  std::vector<std::pair<std::string, Json>> out;
  FlattenInto(config, "", out);
  return out;
}

StatusOr<Json> ResolveTrialConfig(const Json& partial) {
  if (!partial.is_object()) return InvalidArgumentError("trial config: expected a JSON object");
  const Json* dataset_given = GetPath(partial, "data.dataset");
  const bool text = dataset_given != nullptr && *dataset_given == "imdb";
  Json config = text ? DefaultTextTrialConfig() : DefaultTrialConfig();
  for (auto& [path, value] : FlattenConfig(partial)) {
    const ConfigKey* key = FindConfigKey(path);
    if (key == nullptr) {
      std::string msg = fmt::format("{}: unknown config key", path);
      if (IsConfigSection(path)) msg = fmt::format("{}: is a section, expected an object of keys", path);
      auto suggestions = SuggestConfigKeys(path);
      if (!suggestions.empty()) msg += fmt::format(" (did you mean '{}'?)", suggestions[0]);
      return InvalidArgumentError(msg);
    }
    LTSWEEP_RETURN_IF_ERROR(CheckConfigValue(*key, value));
    SetPath(config, path, NormalizeConfigValue(*key, value));
  }
  // Cross-key rules.
  const auto& method = config["method"];
  const auto& train = config["train"];
  int64_t epochs = train["epochs"].get<int64_t>();
  if (method["defer"] != "none" && method["drw_epoch"].get<int64_t>() >= epochs) {
    return InvalidArgumentError(fmt::format(
        "method.drw_epoch: {} must be below train.epochs ({}) when method.defer is {}",
        method["drw_epoch"].get<int64_t>(), epochs, method["defer"].get<std::string>()));
  }
  const auto& sched = train["lr_schedule"];
  if (sched["min_lr"].get<double>() > sched["max_lr"].get<double>()) {
    return InvalidArgumentError("train.lr_schedule.min_lr: must not exceed train.lr_schedule.max_lr");
  }
  int64_t prev = -1;
  for (const auto& m : sched["milestones"]) {
    if (m.get<int64_t>() <= prev)
      return InvalidArgumentError("train.lr_schedule.milestones: must be strictly increasing");
    prev = m.get<int64_t>();
  }
  const std::string dataset = config["data"]["dataset"];
  const std::string arch = config["model"]["arch"];
  bool text_model = arch == "bilstm" || arch == "logreg" || arch == "naive_bayes" || arch == "knn" || arch == "xgboost";
  if ((dataset == "imdb") != text_model) {
    return InvalidArgumentError(fmt::format("model.arch: {} does not fit data.dataset {} ({})", arch, dataset,
                                            dataset == "imdb" ? "use bilstm, logreg, naive_bayes, knn or xgboost"
                                                              : "use a resnet"));
  }
  if (dataset == "imdb") {
    for (const char* key : {"data_on_device", "precision", "channels_last"}) {
      if (train[key] != DefaultTrialConfig()["train"][key]) {
        return InvalidArgumentError(fmt::format("train.{}: applies to the image track only, not data.dataset imdb", key));
      }
    }
  }
  if (config["data"]["flip"] != "auto" && (dataset == "imdb" || !config["data"]["augment"].get<bool>())) {
    return InvalidArgumentError(fmt::format("data.flip: {} needs {} (it flips augmented training images)",
                                            config["data"]["flip"].get<std::string>(),
                                            dataset == "imdb" ? "an image data set" : "data.augment true"));
  }
  if (dataset != "imdb" && config["data"]["stop_words"] != "sklearn") {
    return InvalidArgumentError(fmt::format("data.stop_words: {} applies to data.dataset imdb only ({} has no text)",
                                            config["data"]["stop_words"].get<std::string>(), dataset));
  }
  if (config["metrics"]["few_shot_max"].get<int64_t>() > config["metrics"]["many_shot_min"].get<int64_t>() + 1) {
    return InvalidArgumentError("metrics.few_shot_max: must not exceed metrics.many_shot_min + 1");
  }
  return config;
}

}  // namespace ltsweep
