// Checkpoints of the image track: model parameters and buffers (BatchNorm
// running statistics), optimizer state (momentum / Adam moments) and a JSON
// TrainState (next epoch, best-so-far metrics, history, range-test points,
// config hash) in one torch archive.
//
// Written atomically: the bytes go to DIR/ckpt.tmp, which is then renamed to
// DIR/checkpoint.pt, so a crash or SIGTERM never leaves a half-written
// checkpoint behind. A checkpoint can also be kept in memory (Serialize) and
// written later (WriteCheckpointBytes): the SIGTERM path writes the state of
// the last completed epoch even when checkpoint.every skipped it.
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

// Writes `bytes` to dir/ckpt.tmp, fsyncs, renames it to dir/checkpoint.pt
// (creating dir). Returns the final path. Throws std::runtime_error on I/O
// failure.
std::string WriteCheckpointBytes(const std::string& dir, const std::string& bytes);

// Loads dir/checkpoint.pt into `model` and `optimizer` (already built with
// the same shapes, on the target device) and returns the state object.
// Returns false when no checkpoint exists. A checkpoint that cannot be read
// throws std::runtime_error naming the file.
bool LoadCheckpoint(const std::string& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                    const torch::Device& device, nlohmann::json* state);

}  // namespace ltsweep::trainer
