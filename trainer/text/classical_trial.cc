#include "trainer/text/classical_trial.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "common/trainer_contract.h"
#include "trainer/core/class_weights.h"
#include "trainer/core/errors.h"
#include "trainer/text/features.h"
#include "trainer/text/linear_models.h"
#include "trainer/text/text_metrics.h"
#include "trainer/text/text_smote.h"
#include "trainer/text/trial_common.h"

namespace ltsweep::trainer::text {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Mean weighted-free log-loss of logistic scores.
double MeanLogLoss(const std::vector<double>& z, const std::vector<int>& y) {
  double s = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    double m = (y[i] == 1 ? 1.0 : -1.0) * z[i];
    s += m > 0 ? std::log1p(std::exp(-m)) : -m + std::log1p(std::exp(m));
  }
  return z.empty() ? 0.0 : s / static_cast<double>(z.size());
}

}  // namespace

void CheckClassicalConfig(const nlohmann::json& config) {
  const auto& method = config.at("method");
  const std::string arch = config.at("model").at("arch");
  if (method.at("loss") != "ce")
    throw ConfigError(fmt::format("method.loss: {} applies to the bilstm only; model.arch {} needs ce",
                                  method.at("loss").get<std::string>(), arch));
  if (method.at("defer") != "none")
    throw ConfigError(fmt::format("method.defer: {} applies to the bilstm only (model.arch is {})",
                                  method.at("defer").get<std::string>(), arch));
  if (method.at("resample") == "cb")
    throw ConfigError("method.resample: cb is not supported for classical text models; use inverse (random "
                      "oversampling to balance) or none");
  if (method.at("resample") != "none" && method.at("oversample") != "none")
    throw ConfigError("method.oversample: cannot be combined with method.resample for classical text models");
  if (arch == "xgboost" && !XgbClassifier::Available())
    throw ConfigError("model.arch: xgboost is not available in this build (configure with -DLTSWEEP_WITH_XGBOOST=ON "
                      "and libxgboost-dev installed)");
}

namespace {

// The training rows after method.oversample (SMOTE on the feature vectors) or
// method.resample inverse (random oversampling of the minority class up to
// the majority's size); `extra` gets what was done.
void Rebalance(const nlohmann::json& method, uint32_t seed, int threads, CsrMatrix& x_train,
               std::vector<int>& y_train, nlohmann::json& extra) {
  const std::string oversample = method.at("oversample");
  if (oversample != "none") {
    TextSmoteOptions so;
    so.kind = oversample;
    so.k = method.at("smote_k").get<int64_t>();
    so.m = method.at("smote_m").get<int64_t>();
    so.seed = seed;
    so.threads = threads;
    auto res = OversampleSparse(x_train, y_train, so);
    if (!res.ok()) throw ConfigError(res.status().message());
    extra["synthetic_samples"] = static_cast<int64_t>(res->origin.size());
    if (res->danger_count >= 0) extra["danger_set_size"] = res->danger_count;
    x_train = std::move(res->x);
    y_train = std::move(res->y);
  } else if (method.at("resample") == "inverse") {
    std::array<std::vector<int64_t>, 2> by;
    for (size_t i = 0; i < y_train.size(); ++i) by[static_cast<size_t>(y_train[i])].push_back(static_cast<int64_t>(i));
    size_t minority = by[0].size() <= by[1].size() ? 0 : 1;
    std::vector<int64_t> rows;
    for (size_t i = 0; i < y_train.size(); ++i) rows.push_back(static_cast<int64_t>(i));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> pick(0, by[minority].size() - 1);
    for (size_t k = by[minority].size(); k < by[1 - minority].size(); ++k) rows.push_back(by[minority][pick(rng)]);
    x_train = x_train.Rows(rows);
    std::vector<int> y;
    for (int64_t r : rows) y.push_back(y_train[static_cast<size_t>(r)]);
    y_train = std::move(y);
    extra["resampled_size"] = static_cast<int64_t>(rows.size());
  }
}

// The documents of one trial as feature rows.
struct Features {
  CsrMatrix train, dev, test;
};

Features MakeFeatures(const nlohmann::json& model, const TextData& data) {
  auto kind = ParseFeatureKind(model.at("features").get<std::string>());
  if (!kind.ok()) throw ConfigError(kind.status().message());
  FeatureKind fk = model.at("arch") == "knn" ? FeatureKind::kTfidf : *kind;
  FeatureExtractor fx(fk, data.vocab.size());
  fx.Fit(data.train.docs);
  return Features{fx.Transform(data.train.docs), fx.Transform(data.dev.docs), fx.Transform(data.test.docs)};
}

struct Predictions {
  std::vector<int> dev, test;
};

// Fits model.arch on the (weighted) training rows and predicts dev and test;
// the epoch event gets the losses and solver figures the model has.
Predictions FitAndPredict(const nlohmann::json& model, const Features& x, const std::vector<int>& y_train,
                          const std::vector<double>& class_weights, bool weighted, const TextData& data,
                          uint32_t seed, int threads, nlohmann::json& epoch) {
  const std::string arch = model.at("arch");
  std::vector<double> sw;
  if (weighted) {
    for (int l : y_train) sw.push_back(class_weights[static_cast<size_t>(l)]);
  }
  Predictions p;
  if (arch == "logreg") {
    LogisticRegressionOptions lo;
    lo.c = model.at("l2").get<double>();
    LogisticRegression lr(lo);
    if (auto st = lr.Fit(x.train, y_train, sw); !st.ok()) throw std::runtime_error(st.message());
    auto z_test = lr.DecisionFunction(x.test);
    for (double z : z_test) p.test.push_back(z > 0 ? 1 : 0);
    p.dev = lr.Predict(x.dev);
    epoch["train_loss"] = MeanLogLoss(lr.DecisionFunction(x.train), y_train);
    epoch["val_loss"] = MeanLogLoss(z_test, data.test.labels);
    epoch["solver_iterations"] = lr.iterations();
  } else if (arch == "naive_bayes") {
    BernoulliNaiveBayes nb;
    if (auto st = nb.Fit(x.train, y_train, sw); !st.ok()) throw ConfigError(st.message());
    p.test = nb.Predict(x.test);
    p.dev = nb.Predict(x.dev);
  } else if (arch == "knn") {
    KnnClassifier knn(model.at("knn_k").get<int64_t>(), {class_weights[0], class_weights[1]}, threads);
    if (auto st = knn.Fit(x.train, y_train); !st.ok()) throw ConfigError(st.message());
    p.test = knn.Predict(x.test);
    p.dev = knn.Predict(x.dev);
  } else if (arch == "xgboost") {
    XgbOptions xo;
    xo.rounds = model.at("xgb_rounds").get<int>();
    xo.max_depth = model.at("xgb_max_depth").get<int>();
    xo.threads = threads;
    xo.seed = seed;
    XgbClassifier xgb(xo);
    if (auto st = xgb.Fit(x.train, y_train, sw); !st.ok()) throw std::runtime_error(st.message());
    auto pt = xgb.Predict(x.test);
    auto pd = xgb.Predict(x.dev);
    if (!pt.ok() || !pd.ok()) throw std::runtime_error("xgboost prediction failed");
    p.test = *pt;
    p.dev = *pd;
  } else {
    throw ConfigError(fmt::format("model.arch: {} is not a classical text model", arch));
  }
  return p;
}

}  // namespace

int RunClassicalTrial(const nlohmann::json& config, const TrainingOptions& training, const TextData& data,
                      const TrialRuntime& rt, EventWriter& events) {
  CheckClassicalConfig(config);
  const auto& model = config.at("model");
  const std::string arch = model.at("arch");
  const uint32_t seed = config.at("train").at("seed").get<uint32_t>();
  const int threads = std::max(1, rt.threads);

  Features x = MakeFeatures(model, data);
  std::vector<int> y_train = data.train.labels;
  auto t0 = std::chrono::steady_clock::now();
  nlohmann::json extra;
  Rebalance(config.at("method"), seed, threads, x.train, y_train, extra);
  std::vector<int64_t> counts{0, 0};
  for (int l : y_train) ++counts[static_cast<size_t>(l)];
  const BalanceOptions& balance = training.balance;
  const std::vector<double> cw = FitClassWeights(balance.reweight, counts, balance.cb_beta);

  nlohmann::json epoch;
  epoch[contract::kFieldEpoch] = 0;
  epoch["lr"] = nullptr;
  epoch["train_loss"] = nullptr;
  epoch["val_loss"] = nullptr;
  Predictions pred = FitAndPredict(model, x, y_train, cw, balance.reweight != BalanceKind::kNone, data, seed,
                                   threads, epoch);
  if (rt.Interrupted()) throw Interrupted();
  double elapsed = Seconds(t0);
  BinaryMetrics val = ComputeBinaryMetrics(data.test.labels, pred.test);
  BinaryMetrics dev = ComputeBinaryMetrics(data.dev.labels, pred.dev);
  val.AddTo(epoch);
  dev.AddTo(epoch, "dev_");
  epoch["samples_per_s"] = elapsed > 0 ? static_cast<double>(y_train.size()) / elapsed : 0.0;
  epoch["epoch_time_s"] = elapsed;
  epoch["confusion"] = {{val.confusion[0][0], val.confusion[0][1]}, {val.confusion[1][0], val.confusion[1][1]}};
  for (auto& [k, v] : extra.items()) epoch[k] = v;
  events.Emit(contract::kEventEpoch, epoch);
  std::fprintf(stderr, "[text] %s: test error %.4f (pos %.4f, neg %.4f, mean %.4f) in %.1fs\n", arch.c_str(),
               val.error, val.error_pos, val.error_neg, val.mean_error, elapsed);
  DoneTracker done;
  done.Add(0, val);
  events.Emit(contract::kEventDone, done.Fields());
  return contract::kExitOk;
}

}  // namespace ltsweep::trainer::text
