// How an image trial uses its device, as opposed to what it computes: where
// the training set lives (train.data_on_device), the arithmetic precision of
// the forward pass (train.precision) and the memory layout of activations
// (train.channels_last). Read once from the resolved config; each is off by
// default (auto data placement: on the device only on CUDA).
//
// CUDA graphs are not offered: see docs/gpu.md ("CUDA graphs") for why.
//
// Torch-free. Thread-safety: plain values and pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/config_schema.h"

namespace ltsweep::trainer {

enum class DataPlacement { kAuto, kDevice, kHost };
enum class Precision { kFp32, kBf16 };

struct DeviceOptions {
  // train.data_on_device: auto (device on CUDA, host loader on CPU), true, false.
  DataPlacement data_placement = DataPlacement::kAuto;
  // train.precision: fp32, or bf16 autocast of the forward pass (the loss and
  // the optimizer stay fp32).
  Precision precision = Precision::kFp32;
  // train.channels_last: NHWC weights and inputs.
  bool channels_last = SchemaDefault<bool>("train.channels_last");

  // Reads the three keys; ConfigError naming the key for a value the schema
  // would not have let through.
  static DeviceOptions FromConfig(const nlohmann::json& resolved_config);

  // Whether the training set goes to the device, for a trial on `device`
  // ("cpu", "cuda", "cuda:N").
  bool DataOnDevice(const std::string& device) const;
};

// "auto" | "true" | "false"; ConfigError naming train.data_on_device otherwise.
DataPlacement ParseDataPlacement(const std::string& name);
// "fp32" | "bf16"; ConfigError naming train.precision otherwise.
Precision ParsePrecision(const std::string& name);
const char* PrecisionName(Precision precision);

}  // namespace ltsweep::trainer
