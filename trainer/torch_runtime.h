// Process-wide LibTorch settings that ltsweep-train's main() makes once,
// before either track runs: the device a trial runs on and the thread pools.
//
// Thread-safety: call from main() before any parallel work.
#pragma once

#include <string>

namespace ltsweep::trainer {

// "" -> "cuda" when CUDA is available, else "cpu"; checks "cpu", "cuda" and
// "cuda:N" (N below the device count). Throws ConfigError naming --device for
// anything else, CannotRunHere when CUDA or device N is not on this machine.
std::string ResolveDevice(const std::string& requested);

// at::set_num_threads(threads) and at::set_num_interop_threads(1). Call once,
// before any parallel work.
void ConfigureTorchThreads(int threads);

// The BLAS LibTorch was built against, from its build configuration
// (at::show_config(): "BLAS_INFO=mkl" -> "mkl (LibTorch build)"), or "unknown".
// For the start event when no BLAS library is found loaded (blas_info.h).
std::string TorchBuildBlas();

}  // namespace ltsweep::trainer
