// RunTextTrial: the IMDB text track's entry point, called by ltsweep-train's
// main() for data.dataset == "imdb". It prepares the data (cached, see
// text_dataset.h) and dispatches on model.arch:
//   bilstm                           -> the BiLSTM path (bilstm.h), one "epoch"
//                                       event per epoch;
//   logreg, naive_bayes, knn, xgboost -> the classical path
//                                       (classical_trial.h), one "epoch" event
//                                       (epoch 0).
// Both emit "start" first and "done" last (trial_common.h lists the fields).
// Validation metrics ("val_*", "error_pos", ...) are on the balanced test set;
// "dev_*" on the imbalanced dev split.
//
// Returns the exit status (contract::kExitOk); throws ConfigError, DataError
// or Interrupted (after the last epoch's checkpoint), which main() maps to
// the contract's exit codes (trainer/core/errors.h).
// Thread-safety: one trial per process.
#pragma once

#include <nlohmann/json.hpp>

#include "trainer/core/events.h"
#include "trainer/core/runtime.h"
#include "trainer/core/training_options.h"

namespace ltsweep::trainer {

// `training` holds the options main() read from `config`
// (TrainingOptions::FromConfig).
int RunTextTrial(const nlohmann::json& config, const TrainingOptions& training, const TrialRuntime& rt,
                 EventWriter& events);

}  // namespace ltsweep::trainer
