// GPU discovery for a worker started without --gpus, and the
// CUDA_VISIBLE_DEVICES its trainers get.
//
// GPU indices in ltsweep (--gpus, a slot's gpus, a lease's gpus) count the
// devices this worker's process can see, from 0, the way CUDA numbers them.
// When the worker itself runs under CUDA_VISIBLE_DEVICES (a batch scheduler,
// a container), index i is that list's i-th entry, so a trainer's
// CUDA_VISIBLE_DEVICES names the same physical device whatever the worker
// was given (ids, UUIDs or MIG names).
//
// Thread-safety: pure functions, except DetectGpusHere (reads the
// environment, runs nvidia-smi).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace ltsweep::worker {

struct GpuDetection {
  std::vector<int> gpus;  // 0 .. n-1
  std::string source;     // "CUDA_VISIBLE_DEVICES", "nvidia-smi" or "none found"
};

// From the worker's CUDA_VISIBLE_DEVICES when set (its entries up to the
// first empty one or "-1", as CUDA reads it: "" or "-1" means none), else
// from `nvidia-smi -L` output (one "GPU <n>: ..." line per device) when
// given, else none.
GpuDetection DetectGpus(const std::optional<std::string>& cuda_visible_devices,
                        const std::optional<std::string>& nvidia_smi_list);

// DetectGpus on this process's environment and `nvidia-smi -L` (when
// nvidia-smi is on PATH).
GpuDetection DetectGpusHere();

// The CUDA_VISIBLE_DEVICES value for a trainer using `gpus` (indices as
// above): "" for none; the indices when the worker's own variable
// (`parent`) is unset; else the parent's entries at those positions.
// INVALID_ARGUMENT when an index is past the parent's list.
StatusOr<std::string> ChildVisibleDevices(const std::vector<int>& gpus, const std::optional<std::string>& parent);

}  // namespace ltsweep::worker
