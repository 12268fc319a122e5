// The image track of ltsweep-train: one trial of a ResNet on CIFAR-10/100,
// Fashion-MNIST or the synthetic set, under the trainer contract (DESIGN.md).
//
// RunImageTrial() loads the data (long-tailed training set, balanced test
// set), optionally oversamples it (SMOTE / borderline-SMOTE on the uint8
// images, see docs/methods.md), builds the model, loss and optimizer from the
// trial's TrainingOptions (trainer/training_objects.h) and the LR schedule
// from the resolved config, and trains: per epoch it applies the DRW/DRS
// class weights and sampler of core/class_weights.h, feeds batches from
// TrainBatches (train_batches.h: the host BatchLoader, or the device-resident
// path of device_batches.h per train.data_on_device), runs the forward pass
// under train.precision / train.channels_last (trainer/precision.h), sets
// the LR before every step, evaluates on the
// test set (argmax of the raw logits, loss with the training criterion),
// emits an "epoch" event, and checkpoints (checkpoint.h). --resume continues
// from the checkpoint; SIGTERM (TrialRuntime::interrupt) stops at the next
// batch boundary, writes the last completed epoch's checkpoint and throws
// Interrupted.
//
// Events and exit codes are those of common/trainer_contract.h.
// This header is LibTorch-free so main.cc compiles fast.
// Thread-safety: one trial per process.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "trainer/core/events.h"
#include "trainer/core/runtime.h"
#include "trainer/core/training_options.h"

namespace ltsweep::trainer {

// Runs one image trial of a resolved config whose training options main()
// has read (TrainingOptions::FromConfig). Returns the exit status
// (contract::kExitOk); throws ConfigError, DataError or Interrupted (mapped
// by main()).
int RunImageTrial(const nlohmann::json& resolved_config, const TrainingOptions& training, const TrialRuntime& rt,
                  EventWriter& events);

}  // namespace ltsweep::trainer
