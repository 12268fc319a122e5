#include "trainer/text/classical_trial.h"

#include <chrono>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "trainer/errors.h"
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

int RunClassicalTrial(const nlohmann::json& config, const TextData& data, const TrialRuntime& rt,
                      EventWriter& events) {
  CheckClassicalConfig(config);
  const auto& model = config.at("model");
  const auto& method = config.at("method");
  const std::string arch = model.at("arch");
  const uint32_t seed = config.at("train").at("seed").get<uint32_t>();
  const int threads = std::max(1, rt.threads);

  auto kind = ParseFeatureKind(model.at("features").get<std::string>());
  if (!kind.ok()) throw ConfigError(kind.status().message());
  FeatureKind fk = arch == "knn" ? FeatureKind::kTfidf : *kind;
  FeatureExtractor fx(fk, data.vocab.size());
  fx.Fit(data.train.docs);
  CsrMatrix x_train = fx.Transform(data.train.docs);
  CsrMatrix x_dev = fx.Transform(data.dev.docs);
  CsrMatrix x_test = fx.Transform(data.test.docs);
  std::vector<int> y_train = data.train.labels;

  auto t0 = std::chrono::steady_clock::now();
  nlohmann::json extra;
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
    // Random oversampling of the minority class up to the majority's size.
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
  std::array<int64_t, 2> counts{0, 0};
  for (int l : y_train) ++counts[static_cast<size_t>(l)];
  auto cw = TextClassWeights(method.at("reweight").get<std::string>(), counts, method.at("cb_beta").get<double>());
  std::vector<double> sw;
  if (method.at("reweight") != "none") {
    for (int l : y_train) sw.push_back(cw[static_cast<size_t>(l)]);
  }

  std::vector<int> pred_dev, pred_test;
  nlohmann::json epoch;
  epoch["epoch"] = 0;
  epoch["lr"] = nullptr;
  epoch["train_loss"] = nullptr;
  epoch["val_loss"] = nullptr;
  if (arch == "logreg") {
    LogisticRegressionOptions lo;
    lo.c = model.at("l2").get<double>();
    LogisticRegression lr(lo);
    if (auto st = lr.Fit(x_train, y_train, sw); !st.ok()) throw std::runtime_error(st.message());
    auto z_test = lr.DecisionFunction(x_test);
    for (double z : z_test) pred_test.push_back(z > 0 ? 1 : 0);
    pred_dev = lr.Predict(x_dev);
    epoch["train_loss"] = MeanLogLoss(lr.DecisionFunction(x_train), y_train);
    epoch["val_loss"] = MeanLogLoss(z_test, data.test.labels);
    extra["solver_iterations"] = lr.iterations();
  } else if (arch == "naive_bayes") {
    BernoulliNaiveBayes nb;
    if (auto st = nb.Fit(x_train, y_train, sw); !st.ok()) throw ConfigError(st.message());
    pred_test = nb.Predict(x_test);
    pred_dev = nb.Predict(x_dev);
  } else if (arch == "knn") {
    KnnClassifier knn(model.at("knn_k").get<int64_t>(), cw, threads);
    if (auto st = knn.Fit(x_train, y_train); !st.ok()) throw ConfigError(st.message());
    pred_test = knn.Predict(x_test);
    pred_dev = knn.Predict(x_dev);
  } else if (arch == "xgboost") {
    XgbOptions xo;
    xo.rounds = model.at("xgb_rounds").get<int>();
    xo.max_depth = model.at("xgb_max_depth").get<int>();
    xo.threads = threads;
    xo.seed = seed;
    XgbClassifier xgb(xo);
    if (auto st = xgb.Fit(x_train, y_train, sw); !st.ok()) throw std::runtime_error(st.message());
    auto pt = xgb.Predict(x_test);
    auto pd = xgb.Predict(x_dev);
    if (!pt.ok() || !pd.ok()) throw std::runtime_error("xgboost prediction failed");
    pred_test = *pt;
    pred_dev = *pd;
  } else {
    throw ConfigError(fmt::format("model.arch: {} is not a classical text model", arch));
  }
  if (rt.Interrupted()) throw Interrupted();
  double elapsed = Seconds(t0);
  BinaryMetrics val = ComputeBinaryMetrics(data.test.labels, pred_test);
  BinaryMetrics dev = ComputeBinaryMetrics(data.dev.labels, pred_dev);
  val.AddTo(epoch);
  dev.AddTo(epoch, "dev_");
  epoch["samples_per_s"] = elapsed > 0 ? static_cast<double>(y_train.size()) / elapsed : 0.0;
  epoch["epoch_time_s"] = elapsed;
  epoch["confusion"] = {{val.confusion[0][0], val.confusion[0][1]}, {val.confusion[1][0], val.confusion[1][1]}};
  for (auto& [k, v] : extra.items()) epoch[k] = v;
  events.Emit("epoch", epoch);
  std::fprintf(stderr, "[text] %s: test error %.4f (pos %.4f, neg %.4f, mean %.4f) in %.1fs\n", arch.c_str(),
               val.error, val.error_pos, val.error_neg, val.mean_error, elapsed);
  DoneTracker done;
  done.Add(0, val);
  events.Emit("done", done.Fields());
  return kExitOk;
}

}  // namespace ltsweep::trainer::text
