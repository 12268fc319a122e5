#include "trainer/core/metrics.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace ltsweep::trainer {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double MeanSkippingNaN(const std::vector<double>& values, const std::vector<bool>& include) {
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (include[i] && !std::isnan(values[i])) {
      sum += values[i];
      ++n;
    }
  }
  return n == 0 ? kNaN : sum / n;
}

}  // namespace

ConfusionMatrix::ConfusionMatrix(int num_classes)
    : num_classes_(num_classes), counts_(static_cast<size_t>(num_classes) * num_classes, 0) {
  if (num_classes < 1) throw std::out_of_range("confusion matrix: number of classes must be at least 1");
}

void ConfusionMatrix::Add(int truth, int predicted) {
  if (truth < 0 || truth >= num_classes_ || predicted < 0 || predicted >= num_classes_) {
    throw std::out_of_range("confusion matrix: label " + std::to_string(truth) + " or prediction " +
                            std::to_string(predicted) + " outside [0, " + std::to_string(num_classes_) + ")");
  }
  ++counts_[static_cast<size_t>(truth) * num_classes_ + predicted];
  ++total_;
}

void ConfusionMatrix::AddBatch(const int32_t* truth, const int32_t* predicted, int64_t n) {
  for (int64_t i = 0; i < n; ++i) Add(truth[i], predicted[i]);
}

void ConfusionMatrix::Merge(const ConfusionMatrix& other) {
  if (other.num_classes_ != num_classes_) throw std::out_of_range("confusion matrix: merging different class counts");
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
}

std::vector<std::vector<int64_t>> ConfusionMatrix::Rows() const {
  std::vector<std::vector<int64_t>> rows(num_classes_);
  for (int t = 0; t < num_classes_; ++t) {
    rows[t].assign(counts_.begin() + static_cast<ptrdiff_t>(t) * num_classes_,
                   counts_.begin() + static_cast<ptrdiff_t>(t + 1) * num_classes_);
  }
  return rows;
}

ClassificationSummary Summarize(const ConfusionMatrix& cm, const std::vector<int64_t>& train_counts,
                                const ShotThresholds& thresholds) {
  const int c = cm.num_classes();
  if (static_cast<int>(train_counts.size()) != c) {
    throw std::out_of_range("metrics: " + std::to_string(train_counts.size()) + " training counts for " +
                            std::to_string(c) + " classes");
  }
  ClassificationSummary s;
  std::vector<int64_t> row_sum(c, 0), col_sum(c, 0);
  int64_t correct = 0;
  for (int t = 0; t < c; ++t) {
    for (int p = 0; p < c; ++p) {
      row_sum[t] += cm.at(t, p);
      col_sum[p] += cm.at(t, p);
    }
    correct += cm.at(t, t);
  }
  s.top1_error = cm.total() == 0 ? kNaN : 1.0 - static_cast<double>(correct) / static_cast<double>(cm.total());
  s.per_class_error.resize(c);
  double sum_p = 0, sum_r = 0, sum_f = 0;
  for (int k = 0; k < c; ++k) {
    double tp = static_cast<double>(cm.at(k, k));
    s.per_class_error[k] = row_sum[k] == 0 ? kNaN : 1.0 - tp / static_cast<double>(row_sum[k]);
    double precision = col_sum[k] == 0 ? 0.0 : tp / static_cast<double>(col_sum[k]);
    double recall = row_sum[k] == 0 ? 0.0 : tp / static_cast<double>(row_sum[k]);
    double f1 = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
    sum_p += precision;
    sum_r += recall;
    sum_f += f1;
  }
  s.macro_precision = sum_p / c;
  s.macro_recall = sum_r / c;
  s.macro_f1 = sum_f / c;
  std::vector<bool> many(c), medium(c), few(c);
  for (int k = 0; k < c; ++k) {
    many[k] = train_counts[k] > thresholds.many_shot_min;
    few[k] = !many[k] && train_counts[k] < thresholds.few_shot_max;
    medium[k] = !many[k] && !few[k];
  }
  s.many_shot_error = MeanSkippingNaN(s.per_class_error, many);
  s.medium_shot_error = MeanSkippingNaN(s.per_class_error, medium);
  s.few_shot_error = MeanSkippingNaN(s.per_class_error, few);
  return s;
}

}  // namespace ltsweep::trainer
