// The trainer command line and environment of one attempt (the trainer
// contract, common/trainer_contract.h), as pure functions:
//
//   <trainer> --config <dir>/config.json --threads N --device cpu|cuda
//             [--gpu-memory-fraction F]
//             [--checkpoint-dir <root>/<trial id>-<config hash prefix> --resume]
//   CUDA_VISIBLE_DEVICES=<the slot's GPUs (worker/gpu_detect.h), or "" for a
//                         CPU trial>
//   OMP_NUM_THREADS=N
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "worker/trainer_process.h"

namespace ltsweep::worker {

struct TrainerInvocation {
  std::string trainer;          // the executable
  std::string config_path;      // the trial config (JSON)
  int threads = 1;              // --threads and OMP_NUM_THREADS
  // The trainer's CUDA_VISIBLE_DEVICES (ChildVisibleDevices) for a GPU
  // trial, run with --device cuda; nullopt: a CPU trial ("", --device cpu).
  std::optional<std::string> cuda_visible_devices;
  // > 0: --gpu-memory-fraction (the slot shares its GPUs; worker/slot_layout.h).
  double gpu_memory_fraction = 0;
  std::string checkpoint_dir;   // empty: no checkpoints (a retry starts over)
  std::string stderr_log_path;  // where the trainer's stderr is copied (bounded: see SpawnOptions)
  uint64_t memory_limit_bytes = 0;  // RLIMIT_AS of the trainer; 0: none
};

SpawnOptions MakeSpawnOptions(const TrainerInvocation& invocation);

// "<trial id>-<first 16 characters of the config hash>" ("<trial id>" when
// the hash is empty). Keyed by both: trial ids restart in every database, and
// a checkpoint root shared by several databases (or a reused work dir) must
// never hand one trial another trial's state.
std::string CheckpointName(int64_t trial_id, const std::string& config_hash);

// "trial-<id>-a<attempt>": the attempt's folder under the work dir.
std::string AttemptDirName(int64_t trial_id, int attempt);

}  // namespace ltsweep::worker
