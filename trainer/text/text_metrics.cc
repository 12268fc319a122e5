#include "trainer/text/text_metrics.h"

namespace ltsweep::trainer::text {

BinaryMetrics ComputeBinaryMetrics(const std::vector<int>& truth, const std::vector<int>& predicted) {
  BinaryMetrics m;
  for (size_t i = 0; i < truth.size() && i < predicted.size(); ++i)
    ++m.confusion[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])];
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  double n_neg = static_cast<double>(m.confusion[0][0] + m.confusion[0][1]);
  double n_pos = static_cast<double>(m.confusion[1][0] + m.confusion[1][1]);
  m.error_neg = ratio(static_cast<double>(m.confusion[0][1]), n_neg);
  m.error_pos = ratio(static_cast<double>(m.confusion[1][0]), n_pos);
  m.mean_error = (m.error_neg + m.error_pos) / 2;
  m.error = ratio(static_cast<double>(m.confusion[0][1] + m.confusion[1][0]), n_neg + n_pos);
  for (size_t c = 0; c < 2; ++c) {
    double tp = static_cast<double>(m.confusion[c][c]);
    double pred = static_cast<double>(m.confusion[0][c] + m.confusion[1][c]);
    double actual = static_cast<double>(m.confusion[c][0] + m.confusion[c][1]);
    double p = ratio(tp, pred), r = ratio(tp, actual);
    m.macro_precision += p / 2;
    m.macro_recall += r / 2;
    m.macro_f1 += ratio(2 * p * r, p + r) / 2;
  }
  return m;
}

void BinaryMetrics::AddTo(nlohmann::json& event, const std::string& prefix) const {
  event[prefix + (prefix.empty() ? "val_error" : "error")] = error;
  event[prefix + "per_class_error"] = {error_neg, error_pos};
  event[prefix + "error_pos"] = error_pos;
  event[prefix + "error_neg"] = error_neg;
  event[prefix + "mean_error"] = mean_error;
  event[prefix + "macro_precision"] = macro_precision;
  event[prefix + "macro_recall"] = macro_recall;
  event[prefix + "macro_f1"] = macro_f1;
}

}  // namespace ltsweep::trainer::text
