#include "trainer/torch_runtime.h"

#include <algorithm>

#include <cstdio>

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/cuda.h>

#ifdef LTSWEEP_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/torch.h>
#endif

#include "trainer/core/errors.h"

namespace ltsweep::trainer {

std::string ResolveDevice(const std::string& requested) {
  if (requested.empty()) return torch::cuda::is_available() ? "cuda" : "cpu";
  if (requested == "cpu") return requested;
  const bool indexed = requested.rfind("cuda:", 0) == 0;
  const std::string index = indexed ? requested.substr(5) : "";
  if (requested != "cuda" &&
      (!indexed || index.empty() || index.size() > 6 || index.find_first_not_of("0123456789") != std::string::npos)) {
    throw ConfigError("--device " + requested + ": expected cpu, cuda or cuda:N");
  }
  // Well-formed: what is missing now is missing on this machine only.
  if (!torch::cuda::is_available()) {
    throw CannotRunHere("--device " + requested + ": CUDA is not available in this build or on this machine");
  }
  if (indexed && std::stoll(index) >= static_cast<long long>(torch::cuda::device_count())) {
    throw CannotRunHere("--device " + requested + ": no such CUDA device (" +
                        std::to_string(torch::cuda::device_count()) + " present)");
  }
  return requested;
}

void ApplyGpuMemoryFraction(double fraction, const std::string& device) {
  if (fraction <= 0) return;
  if (device.rfind("cuda", 0) != 0) {
    std::fprintf(stderr, "ltsweep-train: --gpu-memory-fraction %g ignored on --device %s\n", fraction, device.c_str());
    return;
  }
#ifdef LTSWEEP_TORCH_CUDA
  const int n = static_cast<int>(torch::cuda::device_count());
  for (int i = 0; i < n; ++i) {
    // A first allocation brings up the device's caching allocator.
    torch::empty({1}, torch::TensorOptions().device(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(i))));
    c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, static_cast<c10::DeviceIndex>(i));
  }
  std::fprintf(stderr, "ltsweep-train: using at most %.3g of the memory of each of %d CUDA device(s)\n", fraction, n);
#else
  throw CannotRunHere("--gpu-memory-fraction: this ltsweep-train was built against a LibTorch without CUDA");
#endif
}

std::string DoesNotFitMessage(double fraction, const std::string& what) {
  const std::string first = what.substr(0, what.find('\n'));
  if (fraction > 0) {
    char share[32];
    std::snprintf(share, sizeof(share), "%.3g", fraction);
    return std::string("the trial does not fit in its share of the GPU memory (--gpu-memory-fraction ") + share +
           ", the worker's --trials-per-gpu): " + first;
  }
  return "the trial does not fit in the GPU memory: " + first;
}

void ConfigureTorchThreads(int threads) {
  at::set_num_threads(std::max(1, threads));
  at::set_num_interop_threads(1);
}

std::string TorchBuildBlas() {
  const std::string config = at::show_config();
  const std::string key = "BLAS_INFO=";
  const size_t pos = config.find(key);
  if (pos == std::string::npos) return "unknown";
  const size_t begin = pos + key.size();
  const size_t end = config.find_first_of(", \n", begin);
  return config.substr(begin, end == std::string::npos ? std::string::npos : end - begin) + " (LibTorch build)";
}

}  // namespace ltsweep::trainer
