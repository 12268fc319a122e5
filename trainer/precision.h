// Mixed precision and memory layout for the trainer's torch code: a scope
// that turns LibTorch's autocast on for one device type (train.precision:
// bf16), and the conversion of a model and its inputs to channels-last
// (train.channels_last). The one translation unit that knows LibTorch's
// autocast API, which changed in 2.4 (per-device-type setters); it builds
// against Debian's 1.13 and against a GPU machine's newer LibTorch.
//
// Thread-safety: autocast state is thread-local in LibTorch; an
// AutocastScope affects the thread that made it, until it is destroyed.
#pragma once

#include <torch/torch.h>

namespace ltsweep::trainer {

// While alive, ops on `device_type` tensors that autocast covers (convolutions,
// matrix products) run in bfloat16 when `enabled`; otherwise does nothing.
// Ends with the autocast cache cleared. Not nestable with another enabled
// scope on the same thread.
class AutocastScope {
 public:
  AutocastScope(torch::DeviceType device_type, bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  torch::DeviceType device_type_;
  bool enabled_;
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

// Rewrites every 4-d parameter and buffer of `module` in channels-last memory
// format (values unchanged), as Python's module.to(memory_format=...).
void ToChannelsLast(torch::nn::Module& module);

}  // namespace ltsweep::trainer
