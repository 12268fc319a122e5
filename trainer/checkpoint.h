// Checkpoints of both tracks: model parameters and buffers (BatchNorm running
// statistics), optimizer state (momentum / Adam moments) and a JSON state
// object (next epoch, best-so-far metrics, history, config hash) in one torch
// archive: the payload of a checkpoint file (trainer/core/checkpoint_file.h:
// a header with magic, format version, length and CRC-32s).
//
// Written atomically under a temporary name of this process, fsynced and
// renamed into place; the last two are kept (checkpoint.pt,
// checkpoint.prev.pt). A checkpoint can also be kept in memory (Serialize)
// and written later (WriteCheckpointBytes): the SIGTERM path writes the state
// of the last completed epoch even when checkpoint.every skipped it.
//
// Reading falls back: a newest checkpoint that is torn or corrupt (short
// file, bad magic or version, checksum mismatch, an archive torch cannot
// load) is set aside with a line on stderr and the previous one is tried,
// then none (epoch 0). A bad checkpoint never stops a trial from running.
//
// No random-engine state is stored because the loop has none that carries
// over epochs: shuffling, sampling and augmentation engines are re-seeded
// from (train.seed, epoch) at the start of every epoch, and torch's global
// generator is used only for the initial weights.
//
// Thread-safety: free functions; not for concurrent use on the same files.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace ltsweep::trainer {

// Serialises model + optimizer + state (a JSON object) into bytes.
std::string SerializeCheckpoint(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                const nlohmann::json& state);

// Frames `bytes` and writes them to dir/checkpoint.pt, keeping the one before
// as dir/checkpoint.prev.pt (creating dir). Returns the final path. Throws
// CannotRunHere when this machine cannot write there (disk full, read-only,
// permission denied), std::runtime_error on other I/O failures.
std::string WriteCheckpointBytes(const std::string& dir, const std::string& bytes);

// Loads the newest usable checkpoint of `dir` into `model` and `optimizer`
// (already built with the same shapes, on the target device) and returns its
// state object in *state. Returns false when there is none: no checkpoint,
// or every one unusable (each named on stderr and renamed to *.corrupt); then
// model and optimizer are as they were before the call.
bool LoadCheckpoint(const std::string& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                    const torch::Device& device, nlohmann::json* state);

}  // namespace ltsweep::trainer
