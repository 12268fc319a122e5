#include "worker/trainer_command.h"

#include <fmt/format.h>

#include "common/trainer_contract.h"
#include "common/trial_logs.h"

namespace ltsweep::worker {

SpawnOptions MakeSpawnOptions(const TrainerInvocation& invocation) {
  namespace c = contract;
  SpawnOptions spawn;
  spawn.path = invocation.trainer;
  const std::string threads = std::to_string(invocation.threads);
  spawn.args = {c::kFlagConfig, invocation.config_path, c::kFlagThreads, threads};
  if (invocation.cuda_visible_devices) {
    spawn.args.insert(spawn.args.end(), {c::kFlagDevice, "cuda"});
    if (invocation.gpu_memory_fraction > 0) {
      spawn.args.insert(spawn.args.end(),
                        {c::kFlagGpuMemoryFraction, fmt::format("{:.6g}", invocation.gpu_memory_fraction)});
    }
    spawn.env.push_back({"CUDA_VISIBLE_DEVICES", *invocation.cuda_visible_devices});
  } else {
    spawn.args.insert(spawn.args.end(), {c::kFlagDevice, "cpu"});
    spawn.env.push_back({"CUDA_VISIBLE_DEVICES", ""});
  }
  if (!invocation.checkpoint_dir.empty()) {
    spawn.args.insert(spawn.args.end(), {c::kFlagCheckpointDir, invocation.checkpoint_dir, c::kFlagResume});
  }
  spawn.env.push_back({"OMP_NUM_THREADS", threads});
  spawn.stderr_log_path = invocation.stderr_log_path;
  spawn.stderr_log_max_bytes = static_cast<uint64_t>(kTrialLogKeepBytes);  // the file and its .1: the last 1 MiB at least
  spawn.memory_limit_bytes = invocation.memory_limit_bytes;
  return spawn;
}

std::string CheckpointName(int64_t trial_id, const std::string& config_hash) {
  std::string name = std::to_string(trial_id);
  if (!config_hash.empty()) name += "-" + config_hash.substr(0, 16);
  return name;
}

std::string AttemptDirName(int64_t trial_id, int attempt) { return fmt::format("trial-{}-a{}", trial_id, attempt); }

}  // namespace ltsweep::worker
