// Slot layout: which trial slots a worker runs and what each one holds
// (issue 14, "scheduling that knows devices").
//
// A slot is either a CPU slot (runs trials of sweeps with resources.gpus 0,
// with `threads` trainer threads) or a GPU slot holding gpus_per_slot GPUs
// (runs trials of sweeps asking for exactly that many). With
// trials_per_gpu K > 1 each GPU group gets K slots, and each of their
// trainers is told its share of the device's memory (1/K) through
// --gpu-memory-fraction. The worker advertises the layout at Register and
// each slot names its GPUs in every Lease request.
//
// CPU packing (`--cpu-slots auto`, PickCpuSlots): trials of the CPU track
// run best one per core with one thread each (measured on 2 cores: two
// 1-thread trials finished a 4-trial sweep in 80 s, one 2-thread trial at a
// time in 103 s), so auto gives one 1-thread slot per core left over by the
// GPU slots; with fewer trials than cores (known in `ltsweep run`), one slot
// per trial and the cores shared out as threads.
//
// Thread-safety: pure functions, except UsableCores (reads the affinity
// mask).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace ltsweep::worker {

// WorkerOptions::slots values: PickCpuSlots; and the default, one CPU slot
// when the worker has no GPU, else none.
inline constexpr int kAutoSlots = -1;
inline constexpr int kDefaultSlots = -2;

// What one slot runs on.
struct SlotDevices {
  std::vector<int> gpus;           // empty: a CPU slot
  int threads = 1;                 // --threads of its trainers
  double gpu_memory_fraction = 0;  // > 0: --gpu-memory-fraction of its trainers
};

struct CpuSlotChoice {
  int slots = 1;
  int threads = 1;
};

// Slots x threads for CPU trials on `cores` cores (at least 1 each):
// one 1-thread slot per core; when `trials` (> 0: the number of trials to
// run, 0: unknown) is smaller, one slot per trial with cores / trials
// threads each.
CpuSlotChoice PickCpuSlots(int cores, int64_t trials = 0);

// The inputs of PlanSlots: WorkerOptions' fields of the same names.
struct SlotPlanInput {
  std::vector<int> gpus;       // GPU indices (0 ..), no duplicates
  int gpus_per_slot = 1;       // >= 1; gpus.size() must be a multiple
  int trials_per_gpu = 1;      // 1 .. 64
  int cpu_slots = 0;           // >= 0, or kAutoSlots
  int threads_per_trial = 0;   // 0: auto
  int cores = 1;               // usable cores (UsableCores())
  int64_t trials = 0;          // trials to run when known (for auto), else 0
};

// The slots, GPU slots first (gpus in order, each group trials_per_gpu
// times), then the CPU slots. Threads: threads_per_trial when given; else
// auto CPU slots take PickCpuSlots' threads and the others
// max(1, cores / number of slots). INVALID_ARGUMENT naming the flag
// (--gpus, --gpus-per-slot, --trials-per-gpu, --cpu-slots, --threads) for
// bad values, and when the layout would have no slot at all.
StatusOr<std::vector<SlotDevices>> PlanSlots(const SlotPlanInput& in);

// `ltsweep run`: the one local worker's slots for a single sweep whose
// trials need `spec_gpus` GPUs each (resources.gpus).
struct LocalSlotChoice {
  int cpu_slots = 0;           // resolved (never kAutoSlots)
  int threads = 0;             // --threads of each trainer (0: PlanSlots' default)
  std::vector<int> gpus;       // the GPUs used (a multiple of spec_gpus)
  int gpus_per_slot = 1;
  std::string text;            // what was chosen and why, one line
};
// spec_gpus 0: CPU slots only, `cpu_slots` (N or kAutoSlots: PickCpuSlots
// over `cores` and `trials`), `threads` (0: auto); GPUs are not used.
// spec_gpus N >= 1: GPU slots of N GPUs each from `gpus` (no CPU slots);
// FAILED_PRECONDITION saying what to do when there are fewer than N GPUs
// (`gpu_source`: where `gpus` came from, for the message).
StatusOr<LocalSlotChoice> ChooseLocalSlots(int spec_gpus, int cpu_slots, int threads, const std::vector<int>& gpus,
                                           const std::string& gpu_source, int cores, int64_t trials);

// "2 CPU slots x 1 thread; 4 GPU slots: [0] [0] [1] [1] (2 trials per GPU,
// memory share 0.5)": the layout in one line, for logs and `ltsweep run`.
std::string DescribeSlots(const std::vector<SlotDevices>& slots);

// Cores this process may run on (sched_getaffinity), at least 1.
int UsableCores();

}  // namespace ltsweep::worker
