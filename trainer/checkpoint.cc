#include "trainer/checkpoint.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "common/status.h"
#include "trainer/core/checkpoint_file.h"

namespace ltsweep::trainer {
namespace {

// Loads a payload's model and optimizer archives; returns its state text.
// Throws (c10::Error, std::runtime_error) when torch cannot read it; model and
// optimizer may then be partly overwritten.
std::string LoadArchives(const std::string& payload, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                         const torch::Device& device) {
  torch::serialize::InputArchive root;
  root.load_from(payload.data(), payload.size(), device);
  torch::serialize::InputArchive model_archive;
  root.read("model", model_archive);
  model.load(model_archive);
  torch::serialize::InputArchive optimizer_archive;
  root.read("optimizer", optimizer_archive);
  optimizer.load(optimizer_archive);
  c10::IValue value;
  root.read("state", value);
  return value.toStringRef();
}

// Loads one checkpoint payload; false with *problem set when it is unusable.
bool LoadPayload(const std::string& payload, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                 const torch::Device& device, nlohmann::json* state, std::string* problem) {
  try {
    nlohmann::json parsed = nlohmann::json::parse(LoadArchives(payload, model, optimizer, device));
    if (!parsed.is_object() || !parsed.contains("next_epoch") || !parsed["next_epoch"].is_number_integer()) {
      *problem = "its state has no integer next_epoch";
      return false;
    }
    *state = std::move(parsed);
    return true;
  } catch (const std::exception& e) {
    *problem = std::string("cannot be loaded: ") + e.what();
    return false;
  }
}

}  // namespace

std::string SerializeCheckpoint(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                const nlohmann::json& state) {
  torch::serialize::OutputArchive root;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  root.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  root.write("optimizer", optimizer_archive);
  root.write("state", c10::IValue(state.dump()));
  std::ostringstream out;
  root.save_to(out);
  return out.str();
}

std::string WriteCheckpointBytes(const std::string& dir, const std::string& bytes) {
  return WriteCheckpointFile(dir, bytes);
}

bool LoadCheckpoint(const std::string& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                    const torch::Device& device, nlohmann::json* state) {
  RemoveStaleCheckpointTemps(dir);
  const std::vector<std::string> candidates = CheckpointCandidates(dir);
  std::string before;  // model + optimizer as built, restored if a load fails half-way
  for (const std::string& path : candidates) {
    StatusOr<std::string> payload = ReadCheckpointFile(path);
    std::string problem;
    if (payload.ok()) {
      if (before.empty()) before = SerializeCheckpoint(model, optimizer, nlohmann::json::object());
      if (LoadPayload(*payload, model, optimizer, device, state, &problem)) return true;
      problem = path + ": " + problem;
    } else {
      problem = payload.status().message();
    }
    std::fprintf(stderr, "[ltsweep-train] unusable checkpoint %s; set aside as %s%s\n", problem.c_str(), path.c_str(),
                 kCorruptCheckpointSuffix);
    SetAsideCorruptCheckpoint(path);
  }
  if (!before.empty()) LoadArchives(before, model, optimizer, device);
  if (!candidates.empty()) {
    std::fprintf(stderr, "[ltsweep-train] no usable checkpoint in %s: starting from epoch 0\n", dir.c_str());
  }
  return false;
}

}  // namespace ltsweep::trainer
