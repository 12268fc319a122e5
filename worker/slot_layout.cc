#include "worker/slot_layout.h"

#include <sched.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <thread>

#include <fmt/format.h>

namespace ltsweep::worker {

namespace {

constexpr int kMaxTrialsPerGpu = 64;
constexpr int kMaxGpusPerSlot = 64;

Status CheckPlanInput(const SlotPlanInput& in) {
  if (in.gpus_per_slot < 1 || in.gpus_per_slot > kMaxGpusPerSlot) {
    return InvalidArgumentError(fmt::format("--gpus-per-slot: must be 1..{}, got {}", kMaxGpusPerSlot,
                                            in.gpus_per_slot));
  }
  if (in.trials_per_gpu < 1 || in.trials_per_gpu > kMaxTrialsPerGpu) {
    return InvalidArgumentError(fmt::format("--trials-per-gpu: must be 1..{}, got {}", kMaxTrialsPerGpu,
                                            in.trials_per_gpu));
  }
  if (in.cpu_slots < 0 && in.cpu_slots != kAutoSlots) {
    return InvalidArgumentError(fmt::format("--cpu-slots: must be a number of slots or auto, got {}", in.cpu_slots));
  }
  if (in.threads_per_trial < 0) return InvalidArgumentError("--threads: must be at least 1");
  std::set<int> seen;
  for (int g : in.gpus) {
    if (g < 0) return InvalidArgumentError(fmt::format("--gpus: {} is not a GPU index", g));
    if (!seen.insert(g).second) return InvalidArgumentError(fmt::format("--gpus: GPU {} is listed twice", g));
  }
  if (in.gpus.size() % static_cast<size_t>(in.gpus_per_slot) != 0) {
    return InvalidArgumentError(fmt::format("--gpus-per-slot {}: {} GPU(s) do not split into slots of {}",
                                            in.gpus_per_slot, in.gpus.size(), in.gpus_per_slot));
  }
  return Status::Ok();
}

}  // namespace

CpuSlotChoice PickCpuSlots(int cores, int64_t trials) {
  cores = std::max(1, cores);
  CpuSlotChoice choice;
  choice.slots = cores;
  if (trials > 0 && trials < cores) choice.slots = static_cast<int>(trials);
  choice.threads = std::max(1, cores / choice.slots);
  return choice;
}

StatusOr<std::vector<SlotDevices>> PlanSlots(const SlotPlanInput& in) {
  LTSWEEP_RETURN_IF_ERROR(CheckPlanInput(in));
  std::vector<SlotDevices> slots;
  for (size_t first = 0; first < in.gpus.size(); first += static_cast<size_t>(in.gpus_per_slot)) {
    SlotDevices slot;
    slot.gpus.assign(in.gpus.begin() + static_cast<std::ptrdiff_t>(first),
                     in.gpus.begin() + static_cast<std::ptrdiff_t>(first) + in.gpus_per_slot);
    if (in.trials_per_gpu > 1) slot.gpu_memory_fraction = 1.0 / in.trials_per_gpu;
    for (int k = 0; k < in.trials_per_gpu; ++k) slots.push_back(slot);
  }
  const int gpu_slots = static_cast<int>(slots.size());
  int cpu_slots = in.cpu_slots;
  int auto_threads = 0;
  if (cpu_slots == kAutoSlots) {
    const CpuSlotChoice choice = PickCpuSlots(std::max(1, in.cores - gpu_slots), in.trials);
    cpu_slots = choice.slots;
    auto_threads = choice.threads;
  }
  for (int i = 0; i < cpu_slots; ++i) slots.push_back(SlotDevices{});
  if (slots.empty()) {
    return InvalidArgumentError("no trial slots: give --cpu-slots N (or auto) and/or --gpus");
  }
  const int shared = std::max(1, in.cores / static_cast<int>(slots.size()));
  for (int i = 0; i < static_cast<int>(slots.size()); ++i) {
    const bool auto_cpu = i >= gpu_slots && auto_threads > 0;
    slots[i].threads = in.threads_per_trial > 0 ? in.threads_per_trial : auto_cpu ? auto_threads : shared;
  }
  return slots;
}

StatusOr<LocalSlotChoice> ChooseLocalSlots(int spec_gpus, int cpu_slots, int threads, const std::vector<int>& gpus,
                                           const std::string& gpu_source, int cores, int64_t trials) {
  LocalSlotChoice c;
  c.threads = threads;
  if (spec_gpus <= 0) {
    if (cpu_slots == kAutoSlots) {
      const CpuSlotChoice pick = PickCpuSlots(cores, trials);
      c.cpu_slots = pick.slots;
      if (threads == 0) c.threads = pick.threads;
      c.text = fmt::format("auto: {} CPU slot{} x {} thread{} ({} core{}, {} trial{}; one 1-thread trial per core "
                           "is fastest on CPU)",
                           c.cpu_slots, c.cpu_slots == 1 ? "" : "s", c.threads, c.threads == 1 ? "" : "s", cores,
                           cores == 1 ? "" : "s", trials, trials == 1 ? "" : "s");
    } else {
      c.cpu_slots = cpu_slots;
      c.text = fmt::format("{} CPU slot{}", cpu_slots, cpu_slots == 1 ? "" : "s");
    }
    return c;
  }
  if (gpus.size() < static_cast<size_t>(spec_gpus)) {
    return FailedPreconditionError(fmt::format(
        "this sweep's trials need {} GPU{} each (resources.gpus: {}) but {} found here ({}); set resources.gpus: 0 "
        "in the spec to run them on CPU, or name GPUs with --gpus",
        spec_gpus, spec_gpus == 1 ? "" : "s", spec_gpus, gpus.empty() ? "no GPU was" : fmt::format("only {} GPU(s) were", gpus.size()),
        gpu_source));
  }
  c.gpus_per_slot = spec_gpus;
  c.gpus.assign(gpus.begin(), gpus.begin() + static_cast<std::ptrdiff_t>(gpus.size() / spec_gpus * spec_gpus));
  c.text = fmt::format("{} GPU slot{} of {} GPU{} ({})", c.gpus.size() / spec_gpus,
                       c.gpus.size() / spec_gpus == 1 ? "" : "s", spec_gpus, spec_gpus == 1 ? "" : "s", gpu_source);
  return c;
}

std::string DescribeSlots(const std::vector<SlotDevices>& slots) {
  int cpu = 0;
  std::set<int> cpu_threads;
  std::string gpu_list;
  int gpu = 0;
  double fraction = 0;
  for (const SlotDevices& s : slots) {
    if (s.gpus.empty()) {
      ++cpu;
      cpu_threads.insert(s.threads);
      continue;
    }
    ++gpu;
    fraction = s.gpu_memory_fraction;
    std::string ids;
    for (int g : s.gpus) ids += (ids.empty() ? "" : ",") + std::to_string(g);
    gpu_list += " [" + ids + "]";
  }
  std::string out;
  if (cpu > 0) {
    std::string threads;
    for (int t : cpu_threads) threads += (threads.empty() ? "" : "/") + std::to_string(t);
    out = fmt::format("{} CPU slot{} x {} thread{}", cpu, cpu == 1 ? "" : "s", threads,
                      cpu_threads.size() == 1 && *cpu_threads.begin() == 1 ? "" : "s");
  }
  if (gpu > 0) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} GPU slot{}:{}", gpu, gpu == 1 ? "" : "s", gpu_list);
    if (fraction > 0) out += fmt::format(" (GPU memory share {:.3g} each)", fraction);
  }
  return out;
}

int UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace ltsweep::worker
