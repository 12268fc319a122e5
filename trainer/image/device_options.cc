#include "trainer/image/device_options.h"

#include <fmt/format.h>

#include "trainer/core/config_value.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {

DataPlacement ParseDataPlacement(const std::string& name) {
  if (name == "auto") return DataPlacement::kAuto;
  if (name == "true") return DataPlacement::kDevice;
  if (name == "false") return DataPlacement::kHost;
  throw ConfigError(fmt::format("train.data_on_device: expected auto, true or false, got '{}'", name));
}

Precision ParsePrecision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  throw ConfigError(fmt::format("train.precision: expected fp32 or bf16, got '{}'", name));
}

const char* PrecisionName(Precision precision) { return precision == Precision::kBf16 ? "bf16" : "fp32"; }

DeviceOptions DeviceOptions::FromConfig(const nlohmann::json& resolved_config) {
  DeviceOptions o;
  o.data_placement = ParseDataPlacement(ConfigValue<std::string>(resolved_config, "train.data_on_device"));
  o.precision = ParsePrecision(ConfigValue<std::string>(resolved_config, "train.precision"));
  o.channels_last = ConfigValue<bool>(resolved_config, "train.channels_last");
  return o;
}

bool DeviceOptions::DataOnDevice(const std::string& device) const {
  if (data_placement == DataPlacement::kAuto) return device.rfind("cuda", 0) == 0;
  return data_placement == DataPlacement::kDevice;
}

}  // namespace ltsweep::trainer
