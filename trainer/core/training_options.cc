#include "trainer/core/training_options.h"

#include "trainer/core/config_value.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {

LossKind ParseLossKind(const std::string& name) {
  if (name == "ce") return LossKind::kCrossEntropy;
  if (name == "focal") return LossKind::kFocal;
  if (name == "ldam") return LossKind::kLdam;
  throw ConfigError("method.loss: unknown loss '" + name + "' (expected ce, focal or ldam)");
}

OptimizerKind ParseOptimizerKind(const std::string& name) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adam") return OptimizerKind::kAdam;
  throw ConfigError("train.optimizer: unknown value " + name);
}

HeadKind ParseHeadKind(const std::string& name) {
  if (name == "auto") return HeadKind::kAuto;
  if (name == "linear") return HeadKind::kLinear;
  if (name == "normed") return HeadKind::kNormed;
  throw ConfigError("model.head: unknown value " + name);
}

bool UseNormedHead(HeadKind head, LossKind loss) {
  return head == HeadKind::kNormed || (head == HeadKind::kAuto && loss == LossKind::kLdam);
}

TrainingOptions TrainingOptions::FromConfig(const nlohmann::json& config) {
  TrainingOptions o;
  o.loss.kind = ParseLossKind(ConfigValue<std::string>(config, "method.loss"));
  o.loss.focal_gamma = ConfigValue<double>(config, "method.focal_gamma");
  o.loss.ldam_max_m = ConfigValue<double>(config, "method.ldam_max_m");
  o.loss.ldam_s = ConfigValue<double>(config, "method.ldam_s");
  o.optimizer.kind = ParseOptimizerKind(ConfigValue<std::string>(config, "train.optimizer"));
  o.optimizer.lr = ConfigValue<double>(config, "train.lr");
  o.optimizer.momentum = ConfigValue<double>(config, "train.momentum");
  o.optimizer.weight_decay = ConfigValue<double>(config, "train.weight_decay");
  o.head = ParseHeadKind(ConfigValue<std::string>(config, "model.head"));
  o.balance = BalanceOptions::FromConfig(config);
  return o;
}

}  // namespace ltsweep::trainer
