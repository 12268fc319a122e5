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

// --gpu-memory-fraction: caps this process at `fraction` (0 < F <= 1) of
// the memory of each CUDA device it sees (the CUDA caching allocator's
// per-process memory fraction), so K trials can share one GPU. No-op for
// fraction 0; ignored with a note on stderr when `device` is cpu; throws
// CannotRunHere on a CUDA device when this build has no CUDA allocator.
// Call after ResolveDevice, before any tensor is made.
void ApplyGpuMemoryFraction(double fraction, const std::string& device);

// The message of a trial that ran out of CUDA memory: it does not fit in
// its share (fraction > 0) or on the device; `what` is the allocator's text
// (its first line is kept).
std::string DoesNotFitMessage(double fraction, const std::string& what);

// at::set_num_threads(threads) and at::set_num_interop_threads(1). Call once,
// before any parallel work.
void ConfigureTorchThreads(int threads);

// The BLAS LibTorch was built against, from its build configuration
// (at::show_config(): "BLAS_INFO=mkl" -> "mkl (LibTorch build)"), or "unknown".
// For the start event when no BLAS library is found loaded (blas_info.h).
std::string TorchBuildBlas();

}  // namespace ltsweep::trainer
