// TrainingOptions: what both tracks (image/, text/) train with, as typed
// options read once from the resolved trial config:
//   loss       method.loss, focal_gamma, ldam_max_m, ldam_s
//   optimizer  train.optimizer, lr, momentum, weight_decay
//   head       model.head ("auto" = normed for ldam, else linear)
//   balance    method.reweight, resample, defer, drw_epoch, cb_beta
// Every field starts at the schema's default (common/config_schema.cc, read
// through SchemaDefault): no default is written here. FromConfig() only
// converts; the schema has validated the values. trainer/training_objects.h
// turns these options into LibTorch objects (Loss, optimizer, head choice).
//
// Adding a loss: a choice of method.loss in the schema, a LossKind and its
// name in ParseLossKind here, its formula in trainer/losses.cc. Neither track
// changes.
//
// Torch-free. Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config_schema.h"
#include "trainer/core/class_weights.h"

namespace ltsweep::trainer {

enum class LossKind { kCrossEntropy, kFocal, kLdam };

// Parses method.loss ("ce", "focal", "ldam"); throws ConfigError otherwise.
LossKind ParseLossKind(const std::string& name);

struct LossOptions {
  LossKind kind = ParseLossKind(SchemaDefault<std::string>("method.loss"));
  double focal_gamma = SchemaDefault<double>("method.focal_gamma");
  // LDAM: margin of the rarest class and logit scale.
  double ldam_max_m = SchemaDefault<double>("method.ldam_max_m");
  double ldam_s = SchemaDefault<double>("method.ldam_s");
  // Training samples per class, filled by the track from its data; LDAM needs
  // them (every count > 0).
  std::vector<int64_t> class_counts;
};

enum class OptimizerKind { kSgd, kAdam };

// Parses train.optimizer ("sgd", "adam"); throws ConfigError otherwise.
OptimizerKind ParseOptimizerKind(const std::string& name);

struct OptimizerOptions {
  OptimizerKind kind = ParseOptimizerKind(SchemaDefault<std::string>("train.optimizer"));
  double lr = SchemaDefault<double>("train.lr");
  double momentum = SchemaDefault<double>("train.momentum");  // sgd only
  double weight_decay = SchemaDefault<double>("train.weight_decay");
};

enum class HeadKind { kAuto, kLinear, kNormed };

// Parses model.head ("auto", "linear", "normed"); throws ConfigError otherwise.
HeadKind ParseHeadKind(const std::string& name);

// The one head rule: normed (cosine) for kNormed, and for kAuto when the loss
// is LDAM (as the reference); linear otherwise.
bool UseNormedHead(HeadKind head, LossKind loss);

struct TrainingOptions {
  LossOptions loss;
  OptimizerOptions optimizer;
  HeadKind head = ParseHeadKind(SchemaDefault<std::string>("model.head"));
  BalanceOptions balance;

  bool normed_head() const { return UseNormedHead(head, loss.kind); }

  // Reads the keys above from a resolved trial config; throws ConfigError
  // naming a key that is missing (the config was not resolved).
  static TrainingOptions FromConfig(const nlohmann::json& resolved_config);
};

}  // namespace ltsweep::trainer
