// BernoulliNaiveBayes and KnnClassifier (linear_models.h).
#include <algorithm>
#include <cmath>

#include "trainer/text/linear_models.h"
#include "trainer/text/sparse_neighbors.h"

namespace ltsweep::trainer::text {

Status BernoulliNaiveBayes::Fit(const CsrMatrix& x, const std::vector<int>& y, const std::vector<double>& sample_weight) {
  if (static_cast<int64_t>(y.size()) != x.rows()) return InvalidArgumentError("naive_bayes: labels and rows differ in number");
  const size_t d = static_cast<size_t>(x.cols);
  std::array<std::vector<double>, 2> feature_count{std::vector<double>(d, 0.0), std::vector<double>(d, 0.0)};
  std::array<double, 2> class_count{0, 0};
  for (int64_t i = 0; i < x.rows(); ++i) {
    size_t c = static_cast<size_t>(y[static_cast<size_t>(i)]);
    double s = sample_weight.empty() ? 1.0 : sample_weight[static_cast<size_t>(i)];
    class_count[c] += s;
    for (int64_t k = x.indptr[static_cast<size_t>(i)]; k < x.indptr[static_cast<size_t>(i) + 1]; ++k) {
      if (x.values[static_cast<size_t>(k)] > 0) feature_count[c][static_cast<size_t>(x.indices[static_cast<size_t>(k)])] += s;
    }
  }
  double total = class_count[0] + class_count[1];
  for (size_t c = 0; c < 2; ++c) {
    if (class_count[c] <= 0) return InvalidArgumentError("naive_bayes: a class has no training samples");
    log_prior_[c] = std::log(class_count[c] / total);
    log_p_[c].resize(d);
    log_1mp_[c].resize(d);
    base_[c] = 0;
    for (size_t j = 0; j < d; ++j) {
      double p = (feature_count[c][j] + alpha_) / (class_count[c] + 2 * alpha_);
      log_p_[c][j] = std::log(p);
      log_1mp_[c][j] = std::log1p(-p);
      base_[c] += log_1mp_[c][j];
    }
  }
  return Status::Ok();
}

std::vector<std::array<double, 2>> BernoulliNaiveBayes::JointLogLikelihood(const CsrMatrix& x) const {
  std::vector<std::array<double, 2>> out(static_cast<size_t>(x.rows()));
  for (int64_t i = 0; i < x.rows(); ++i) {
    for (size_t c = 0; c < 2; ++c) {
      double s = log_prior_[c] + base_[c];
      for (int64_t k = x.indptr[static_cast<size_t>(i)]; k < x.indptr[static_cast<size_t>(i) + 1]; ++k) {
        if (x.values[static_cast<size_t>(k)] <= 0) continue;
        size_t j = static_cast<size_t>(x.indices[static_cast<size_t>(k)]);
        s += log_p_[c][j] - log_1mp_[c][j];
      }
      out[static_cast<size_t>(i)][c] = s;
    }
  }
  return out;
}

std::vector<int> BernoulliNaiveBayes::Predict(const CsrMatrix& x) const {
  std::vector<int> out;
  for (const auto& jll : JointLogLikelihood(x)) out.push_back(jll[1] > jll[0] ? 1 : 0);
  return out;
}

Status KnnClassifier::Fit(const CsrMatrix& x, const std::vector<int>& y) {
  if (static_cast<int64_t>(y.size()) != x.rows()) return InvalidArgumentError("knn: labels and rows differ in number");
  if (x.rows() == 0) return InvalidArgumentError("knn: no training rows");
  x_ = x;
  y_ = y;
  return Status::Ok();
}

std::vector<int> KnnClassifier::Predict(const CsrMatrix& x) const {
  auto nn = KNearestRows(x_, x, k_, NeighborMetric::kCosine, threads_);
  std::vector<int> out;
  out.reserve(nn.size());
  for (const auto& row : nn) {
    std::array<double, 2> votes{0, 0};
    for (int64_t r : row) {
      size_t c = static_cast<size_t>(y_[static_cast<size_t>(r)]);
      votes[c] += class_weight_[c];
    }
    out.push_back(votes[1] > votes[0] ? 1 : 0);
  }
  return out;
}

}  // namespace ltsweep::trainer::text
