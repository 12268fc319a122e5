#include "trainer/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace ltsweep::trainer {
namespace {

// LibTorch 2.4 replaced the per-device functions by ones taking the device
// type and deprecated the old ones (an error under -Werror).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool IsEnabled(torch::DeviceType t) { return at::autocast::is_autocast_enabled(t); }
void SetEnabled(torch::DeviceType t, bool on) { at::autocast::set_autocast_enabled(t, on); }
at::ScalarType GetDtype(torch::DeviceType t) { return at::autocast::get_autocast_dtype(t); }
void SetDtype(torch::DeviceType t, at::ScalarType dtype) { at::autocast::set_autocast_dtype(t, dtype); }
#else
bool IsEnabled(torch::DeviceType t) {
  return t == torch::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
}
void SetEnabled(torch::DeviceType t, bool on) {
  if (t == torch::kCPU) {
    at::autocast::set_cpu_enabled(on);
  } else {
    at::autocast::set_enabled(on);
  }
}
at::ScalarType GetDtype(torch::DeviceType t) {
  return t == torch::kCPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
}
void SetDtype(torch::DeviceType t, at::ScalarType dtype) {
  if (t == torch::kCPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
}
#endif

}  // namespace

AutocastScope::AutocastScope(torch::DeviceType device_type, bool enabled)
    : device_type_(device_type), enabled_(enabled) {
  if (!enabled_) return;
  was_enabled_ = IsEnabled(device_type_);
  previous_dtype_ = GetDtype(device_type_);
  SetDtype(device_type_, at::kBFloat16);
  SetEnabled(device_type_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
  // As Python's autocast.__exit__: the cast-weight cache lives until the
  // outermost scope ends.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetEnabled(device_type_, was_enabled_);
  SetDtype(device_type_, previous_dtype_);
}

void ToChannelsLast(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
  for (torch::Tensor& b : module.buffers()) {
    if (b.dim() == 4) b.set_data(b.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

}  // namespace ltsweep::trainer
