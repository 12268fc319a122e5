// The image track of ltsweep-train: one trial of a ResNet on CIFAR-10/100,
// Fashion-MNIST or the synthetic set, under the trainer contract (DESIGN.md).
//
// RunImageTrial() loads the data (long-tailed training set, balanced test
// set), optionally oversamples it (SMOTE / borderline-SMOTE on the uint8
// images, see docs/methods.md), builds the model, loss, optimizer and LR
// schedule from the resolved config, and trains: per epoch it applies the
// DRW/DRS class weights and sampler of class_weights.h, feeds batches from a
// background BatchLoader, sets the LR before every step, evaluates on the
// test set (argmax of the raw logits, loss with the training criterion),
// emits an "epoch" event, and checkpoints (checkpoint.h). --resume continues
// from the checkpoint; SIGTERM (TrialRuntime::interrupt) stops at the next
// batch boundary, writes the last completed epoch's checkpoint and throws
// Interrupted.
//
// This header is LibTorch-free so main.cc compiles fast.
// Thread-safety: one trial per process.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "trainer/events.h"
#include "trainer/runtime.h"

namespace ltsweep::trainer {

// Runs one image trial of a resolved config. Returns the exit status (0);
// throws ConfigError, DataError or Interrupted (mapped by main()).
int RunImageTrial(const nlohmann::json& config, const TrialRuntime& rt, EventWriter& events);

// "" -> "cuda" when CUDA is available, else "cpu"; checks "cpu", "cuda" and
// "cuda:N" (N below the device count). Throws ConfigError naming --device.
std::string ResolveDevice(const std::string& requested);

// at::set_num_threads(threads) and at::set_num_interop_threads(1). Call once,
// before any parallel work.
void ConfigureTorchThreads(int threads);

}  // namespace ltsweep::trainer
