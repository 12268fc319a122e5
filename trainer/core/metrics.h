// Classification metrics for one evaluation pass: a confusion matrix (rows =
// true class, columns = predicted class) and what is derived from it. Errors
// are fractions in [0, 1] (the event stream multiplies nothing; 0.25 = 25%).
//
// Thread-safety: ConfusionMatrix is not thread-safe (one per evaluation);
// Summarize() is a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/config_schema.h"

namespace ltsweep::trainer {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes);
  // Counts one sample. Labels outside [0, C) throw std::out_of_range.
  void Add(int truth, int predicted);
  void AddBatch(const int32_t* truth, const int32_t* predicted, int64_t n);
  // Adds every count of `other` (same C).
  void Merge(const ConfusionMatrix& other);

  int num_classes() const { return num_classes_; }
  int64_t at(int truth, int predicted) const { return counts_[static_cast<std::size_t>(truth) * num_classes_ + predicted]; }
  int64_t total() const { return total_; }
  // Row-major C x C counts.
  const std::vector<int64_t>& counts() const { return counts_; }
  // As nested rows, for the JSON "confusion_matrix" field.
  std::vector<std::vector<int64_t>> Rows() const;

 private:
  int num_classes_;
  int64_t total_ = 0;
  std::vector<int64_t> counts_;
};

// Shot groups by the number of training samples of a class (metrics.* keys).
struct ShotThresholds {
  // many-shot: n_train > many_shot_min
  int64_t many_shot_min = SchemaDefault<int64_t>("metrics.many_shot_min");
  // few-shot: n_train < few_shot_max; medium: the rest
  int64_t few_shot_max = SchemaDefault<int64_t>("metrics.few_shot_max");
};

struct ClassificationSummary {
  double top1_error = 0;                // 1 - trace / total (NaN when total == 0)
  std::vector<double> per_class_error;  // 1 - diag / row sum; NaN for a class without test samples
  // Mean of per_class_error over the classes of each group (classes without
  // test samples skipped); NaN when the group has no such class (the event
  // stream writes NaN as null).
  double many_shot_error = 0;
  double medium_shot_error = 0;
  double few_shot_error = 0;
  // Macro averages over all C classes, sklearn zero_division=0: precision of a
  // class never predicted is 0, recall of a class without samples is 0, F1 is
  // 0 when precision + recall is 0.
  double macro_precision = 0;
  double macro_recall = 0;
  double macro_f1 = 0;
};

// train_counts: per-class training counts (size C) for the shot groups.
ClassificationSummary Summarize(const ConfusionMatrix& cm, const std::vector<int64_t>& train_counts,
                                const ShotThresholds& thresholds = {});

}  // namespace ltsweep::trainer
