// Pieces shared by the two paths of a text trial (classical models in
// classical_trial.cc, the BiLSTM in text_trial.cc): loading the prepared data
// for a resolved config and the "start" / "done" events. Torch-free. (Class
// weights are trainer/core/class_weights.h's, as for images.)
//
// Errors are thrown as trainer/core/errors.h exceptions (ConfigError -> exit 2,
// DataError -> exit 3, CannotRunHere -> exit 5 for data missing on this
// node), with messages naming the key or file at fault.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trainer/text/text_dataset.h"
#include "trainer/text/text_metrics.h"

namespace ltsweep::trainer::text {

// Prepares (or reads from cache) the data of `config`, then applies
// data.limit_train (to the training part) and data.limit_test (to the test
// set), both class-stratified and seeded by data.imbalance.seed.
TextData LoadTrialData(const nlohmann::json& config, int threads);

// {"event":"start"} fields: dataset, arch, sizes, class counts, vocabulary
// size, cache file and hit, preprocessing seconds.
nlohmann::json StartFields(const nlohmann::json& config, const TextData& data, double prepare_s);

// Keeps the best epoch (lowest val_error) and the last, and builds the
// "done" fields: best_epoch, best_val_error, last_val_error, error_pos,
// error_neg, mean_error (last epoch, the Table-1 triple) and best_error_pos,
// best_error_neg, best_mean_error.
class DoneTracker {
 public:
  void Add(int epoch, const BinaryMetrics& val);
  nlohmann::json Fields() const;

 private:
  int best_epoch_ = -1, last_epoch_ = -1;
  BinaryMetrics best_, last_;
};

}  // namespace ltsweep::trainer::text
