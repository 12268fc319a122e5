#include "trainer/torch_runtime.h"

#include <algorithm>

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include "trainer/core/errors.h"

namespace ltsweep::trainer {

std::string ResolveDevice(const std::string& requested) {
  if (requested.empty()) return torch::cuda::is_available() ? "cuda" : "cpu";
  if (requested == "cpu") return requested;
  if (requested == "cuda" || requested.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw ConfigError("--device " + requested + ": CUDA is not available in this build or on this machine");
    }
    if (requested.size() > 5) {
      const std::string index = requested.substr(5);
      if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos ||
          std::stoll(index) >= static_cast<long long>(torch::cuda::device_count())) {
        throw ConfigError("--device " + requested + ": no such CUDA device (" +
                          std::to_string(torch::cuda::device_count()) + " present)");
      }
    }
    return requested;
  }
  throw ConfigError("--device " + requested + ": expected cpu, cuda or cuda:N");
}

void ConfigureTorchThreads(int threads) {
  at::set_num_threads(std::max(1, threads));
  at::set_num_interop_threads(1);
}

}  // namespace ltsweep::trainer
