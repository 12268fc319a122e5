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
// Returns the exit status (kExitOk); throws ConfigError (exit 2), DataError
// (exit 3) or Interrupted (exit 4, after the last epoch's checkpoint) as
// trainer/errors.h says. Thread-safety: one trial per process.
#pragma once

#include <nlohmann/json.hpp>

#include "trainer/events.h"
#include "trainer/runtime.h"

namespace ltsweep::trainer {

int RunTextTrial(const nlohmann::json& config, const TrialRuntime& rt, EventWriter& events);

}  // namespace ltsweep::trainer
