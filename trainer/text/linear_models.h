// Classical classifiers of the IMDB track (the rows of Table 4), plain C++ on
// sparse features (features.h). Labels are 0/1; sample weights (optional,
// empty = all 1) carry balanced class weights n / (2 n_c) or SMOTE output.
//
//   LogisticRegression  L2-regularised log-loss with scikit-learn's C
//                       semantics: minimise 0.5 |w|^2 + C sum_i s_i
//                       log(1 + exp(-y_i (w.x_i + b))), intercept b not
//                       penalised (as the lbfgs solver), solved by L-BFGS
//                       (memory 10, Armijo backtracking) until the largest
//                       gradient entry is below tol or max_iter iterations.
//   BernoulliNaiveBayes scikit-learn's BernoulliNB(alpha=1, binarize=0.0,
//                       fit_prior=True), with weighted counts.
//   KnnClassifier       k nearest training rows by cosine similarity, majority
//                       vote, each vote weighted by the class weight (ties go
//                       to the lower label, as scikit-learn's mode).
//   XgbClassifier       XGBoost (binary:logistic) through its C API; only when
//                       built with LTSWEEP_WITH_XGBOOST, else Fit() returns
//                       kUnimplemented.
//
// Thread-safety: not thread-safe while fitting; const Predict() calls are safe
// from any thread (XgbClassifier: one call at a time).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/config_schema.h"
#include "common/status.h"
#include "trainer/text/features.h"

namespace ltsweep::trainer::text {

// n / (2 n_c) per class for labels `y` (scikit-learn's "balanced").
std::array<double, 2> BalancedClassWeights(const std::vector<int>& y);

struct LogisticRegressionOptions {
  double c = SchemaDefault<double>("model.l2");  // inverse regularisation strength
  int max_iter = 200;    // L-BFGS iterations
  double tol = 1e-4;     // stop when max |gradient| < tol
};

class LogisticRegression {
 public:
  explicit LogisticRegression(LogisticRegressionOptions options = {}) : options_(options) {}
  Status Fit(const CsrMatrix& x, const std::vector<int>& y, const std::vector<double>& sample_weight = {});
  std::vector<double> DecisionFunction(const CsrMatrix& x) const;
  std::vector<int> Predict(const CsrMatrix& x) const;
  int iterations() const { return iterations_; }
  double final_loss() const { return final_loss_; }
  const std::vector<double>& coef() const { return w_; }
  double intercept() const { return b_; }

 private:
  LogisticRegressionOptions options_;
  std::vector<double> w_;
  double b_ = 0;
  int iterations_ = 0;
  double final_loss_ = 0;
};

class BernoulliNaiveBayes {
 public:
  explicit BernoulliNaiveBayes(double alpha = 1.0) : alpha_(alpha) {}
  Status Fit(const CsrMatrix& x, const std::vector<int>& y, const std::vector<double>& sample_weight = {});
  // log P(c) + log P(x | c) for c = 0, 1, per row.
  std::vector<std::array<double, 2>> JointLogLikelihood(const CsrMatrix& x) const;
  std::vector<int> Predict(const CsrMatrix& x) const;

 private:
  double alpha_;
  std::array<double, 2> log_prior_{};
  std::array<std::vector<double>, 2> log_p_, log_1mp_;
  std::array<double, 2> base_{};  // sum_j log(1 - p_cj)
};

class KnnClassifier {
 public:
  KnnClassifier(int64_t k, std::array<double, 2> class_weight = {1.0, 1.0}, int threads = 1)
      : k_(k), class_weight_(class_weight), threads_(threads) {}
  Status Fit(const CsrMatrix& x, const std::vector<int>& y);
  std::vector<int> Predict(const CsrMatrix& x) const;

 private:
  int64_t k_;
  std::array<double, 2> class_weight_;
  int threads_;
  CsrMatrix x_;
  std::vector<int> y_;
};

struct XgbOptions {
  int rounds = SchemaDefault<int>("model.xgb_rounds");
  int max_depth = SchemaDefault<int>("model.xgb_max_depth");
  double eta = 0.3;      // XGBoost's default learning rate
  int threads = 1;
  uint32_t seed = 0;
};

class XgbClassifier {
 public:
  explicit XgbClassifier(XgbOptions options);
  ~XgbClassifier();
  XgbClassifier(const XgbClassifier&) = delete;
  XgbClassifier& operator=(const XgbClassifier&) = delete;
  // True when this build has XGBoost.
  static bool Available();
  Status Fit(const CsrMatrix& x, const std::vector<int>& y, const std::vector<double>& sample_weight = {});
  StatusOr<std::vector<int>> Predict(const CsrMatrix& x) const;

 private:
  XgbOptions options_;
  void* booster_ = nullptr;  // BoosterHandle
};

}  // namespace ltsweep::trainer::text
