// The classical path of a text trial (model.arch logreg, naive_bayes, knn,
// xgboost): features from model.features (knn always uses TF-IDF, its cosine
// metric's natural input), method.reweight as per-sample weights
// (FitClassWeights of trainer/core/class_weights.h, from TrainingOptions),
// method.resample "inverse" as random oversampling of the minority rows,
// method.oversample as SMOTE / borderline-SMOTE on the feature vectors
// (text_smote.h), then one fit, one "epoch" event (epoch 0, metrics on the
// balanced test set, dev_* metrics on the dev split, the confusion matrix)
// and a "done" event. Torch-free.
//
// Unsupported combinations (method.loss other than ce, method.defer,
// method.resample cb) throw ConfigError (exit 2); xgboost in a build without
// it throws ConfigError naming the CMake option.
//
// Thread-safety: one trial per call; uses `threads` worker threads.
#pragma once

#include <nlohmann/json.hpp>

#include "trainer/core/events.h"
#include "trainer/core/runtime.h"
#include "trainer/core/training_options.h"
#include "trainer/text/text_dataset.h"

namespace ltsweep::trainer::text {

// Checks the method keys for a classical arch; throws ConfigError.
void CheckClassicalConfig(const nlohmann::json& config);

// Runs the trial on prepared data and returns contract::kExitOk; throws on
// errors.
int RunClassicalTrial(const nlohmann::json& config, const TrainingOptions& training, const TextData& data,
                      const TrialRuntime& rt, EventWriter& events);

}  // namespace ltsweep::trainer::text
