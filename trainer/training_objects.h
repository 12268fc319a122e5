// The training objects both tracks (image/, text/) train with, made from a
// trial's TrainingOptions (trainer/core/training_options.h, read once from
// the resolved config by ltsweep-train's main): the loss with its class
// counts, the optimizer over a model's parameters, and each epoch's class
// weights on the loss (DRW). The head choice is TrainingOptions::normed_head().
//
// Adding a loss touches the schema, training_options and losses.cc; adding an
// optimizer the schema, training_options and MakeOptimizer here. Neither
// track changes.
//
// Ownership: the returned objects belong to the caller; MakeOptimizer borrows
// the parameter tensors (shared storage, as torch::optim does).
// Thread-safety: free functions; the objects are used by one training thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "trainer/core/class_weights.h"
#include "trainer/core/training_options.h"
#include "trainer/losses.h"

namespace ltsweep::trainer {

// The loss of `options` for a training set with `class_counts` samples per
// class (LDAM's margins need them). Throws ConfigError (LDAM with an empty
// class).
Loss MakeLoss(const LossOptions& options, const std::vector<int64_t>& class_counts);

// SGD (momentum, weight decay) or Adam (weight decay) at options.lr.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const OptimizerOptions& options,
                                                       const std::vector<torch::Tensor>& parameters);

// Puts the epoch's loss weights (BalanceForEpoch) on `loss`; none -> the
// plain unweighted mean.
void ApplyEpochClassWeights(const EpochBalance& balance, Loss& loss);

}  // namespace ltsweep::trainer
