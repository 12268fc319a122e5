#include "coordinator/device_match.h"

#include <algorithm>

#include <fmt/format.h>

namespace ltsweep::coordinator {

StatusOr<std::vector<int>> SlotGpuCounts(const v1::RegisterRequest& request) {
  std::vector<int> counts;
  if (request.slot_devices_size() == 0) {
    counts.assign(static_cast<size_t>(std::max(0, request.slots())), request.gpus_size() > 0 ? 1 : 0);
    return counts;
  }
  if (request.slot_devices_size() != request.slots()) {
    return InvalidArgumentError(fmt::format("slot_devices: {} slot(s) described but slots is {}",
                                            request.slot_devices_size(), request.slots()));
  }
  for (int i = 0; i < request.slot_devices_size(); ++i) {
    const v1::SlotDevices& slot = request.slot_devices(i);
    if (slot.gpus_size() > kMaxGpusPerTrial) {
      return InvalidArgumentError(fmt::format("slot_devices[{}]: {} GPUs, at most {} per slot", i,
                                              slot.gpus_size(), kMaxGpusPerTrial));
    }
    for (int g : slot.gpus()) {
      if (g < 0) return InvalidArgumentError(fmt::format("slot_devices[{}].gpus: negative GPU index {}", i, g));
    }
    counts.push_back(slot.gpus_size());
  }
  return counts;
}

std::string WaitingReason(int gpus, const SlotKinds& kinds) {
  if (kinds.alive_workers == 0) return "no worker is alive";
  if (std::find(kinds.gpu_counts.begin(), kinds.gpu_counts.end(), gpus) != kinds.gpu_counts.end()) return "";
  if (gpus == 0) return "no worker has a CPU slot (resources.gpus: 0)";
  return fmt::format("no worker has a slot with {} GPU{}", gpus, gpus == 1 ? "" : "s");
}

void AnnotateWaiting(const SlotKinds& kinds, v1::SweepInfo* sweep) {
  const bool open = sweep->state() == "pending" || sweep->state() == "running";
  if (!open || sweep->trials_queued() == 0) return;
  sweep->set_waiting(WaitingReason(sweep->gpus(), kinds));
}

}  // namespace ltsweep::coordinator
