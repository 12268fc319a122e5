// Metrics of the IMDB track (Table 1 of the reproduction report plus the image
// track's general metrics), for two classes: 0 = negative, 1 = positive.
//
//   error_pos   share of positive reviews predicted negative (Table 1 ErrorP)
//   error_neg   share of negative reviews predicted positive (ErrorN)
//   mean_error  (error_pos + error_neg) / 2                     (ErrorM)
//   error       overall top-1 error
//   per_class_error [neg, pos], macro precision / recall / F1 (a class never
//   predicted has precision 0, as scikit-learn's zero_division=0), and the
//   confusion matrix confusion[true][predicted].
//
// Thread-safety: values.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace ltsweep::trainer::text {

struct BinaryMetrics {
  std::array<std::array<int64_t, 2>, 2> confusion{};  // [true][predicted]
  double error = 0, error_pos = 0, error_neg = 0, mean_error = 0;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;

  // Fields of the "epoch" event: val_error, per_class_error, error_pos,
  // error_neg, mean_error, macro_precision, macro_recall, macro_f1 (names
  // prefixed by `prefix`, e.g. "dev_").
  void AddTo(nlohmann::json& event, const std::string& prefix = "") const;
};

BinaryMetrics ComputeBinaryMetrics(const std::vector<int>& truth, const std::vector<int>& predicted);

}  // namespace ltsweep::trainer::text
