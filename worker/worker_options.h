// WorkerOptions: every setting of a worker daemon, with its default. The
// defaults here are the daemon's defaults: `ltsweep worker` overrides a field
// only when its flag is given, and its --help shows these values.
//
// Worker::Run() resolves the "0: ..." and "empty: ..." fields once (slots,
// gpus and threads_per_trial into slot_layout; trainer_path, clock) and hands the resolved copy to the
// parts of the run (worker/slot_loop.h, worker/attempt_runner.h, ...).
//
// Thread-safety: a value; the parts of a running worker only read it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "proto/credentials.h"
#include "worker/backoff.h"
#include "worker/slot_layout.h"

namespace ltsweep::worker {

struct WorkerOptions {
  // Coordinator address, "host:port". Required.
  std::string coordinator;
  // How to reach it: TLS (CA, client certificate) and the worker's token
  // (proto/credentials.h; docs/security.md). Default: plain text, no token.
  proto::ChannelSecurityOptions security;
  // CPU slots: each runs trials of sweeps with resources.gpus 0, with
  // CUDA_VISIBLE_DEVICES="" and --device cpu. kDefaultSlots: one when gpus
  // is empty, else none. kAutoSlots: PickCpuSlots (worker/slot_layout.h),
  // one 1-thread slot per core left over by the GPU slots. 0: none (only
  // with gpus).
  int slots = kDefaultSlots;
  // GPUs (indices as worker/gpu_detect.h counts them). Each group of
  // gpus_per_slot of them, in order, makes trials_per_gpu GPU slots that
  // run trials of sweeps with resources.gpus == gpus_per_slot, with
  // CUDA_VISIBLE_DEVICES set to the group and --device cuda. Empty: none
  // (the library never detects GPUs itself; `ltsweep worker` does).
  std::vector<int> gpus;
  int gpus_per_slot = 1;
  // Trials sharing one GPU group (1 .. 64). Above 1 each trainer gets
  // --gpu-memory-fraction 1/K and a trial that does not fit exits 5.
  int trials_per_gpu = 1;
  // The slots, resolved by Worker::Run() from the fields above (PlanSlots);
  // any value set before Run() is replaced.
  std::vector<SlotDevices> slot_layout;
  // The trainer executable. Empty: ltsweep-train next to this program's
  // executable, else on $PATH.
  std::string trainer_path;
  // Per-attempt folders (<work_dir>/trial-<id>-a<attempt>: config, stderr
  // log) and the metric outbox.
  std::string work_dir = "ltsweep-work";
  // Keep the folder of an attempt whose success the coordinator accepted.
  // false: it is removed (the results are in the database); folders of
  // failed, interrupted or dropped attempts are always kept, for their
  // stderr.log.
  bool keep_work_dirs = false;
  // Shared checkpoint folder. Empty: no checkpoints; a retry starts over.
  std::string checkpoint_root;
  // Folders a lease's data.root and data.cache_dir must lie in
  // (worker/lease_validation.h); a lease naming another folder is refused
  // (RETRY_ELSEWHERE). Empty: DefaultDataRoots(), the places the trainer
  // looks by default (/usr/share/datasets and the cache folder).
  std::vector<std::string> data_roots;
  // RLIMIT_AS of each trainer, bytes (worker/memory_limit.h). 0: none.
  uint64_t memory_limit_bytes = 0;
  // SIGTERM -> SIGKILL grace period for trainers (also how long a stopping
  // worker keeps trying to report its interrupted attempts).
  std::chrono::milliseconds grace{30'000};
  // A trainer that prints no event on stdout for this long is stopped
  // (SIGTERM, SIGKILL after the grace period) and its attempt ends as
  // FAILED_RETRYABLE ("no progress for ..."). Used when the lease sets no
  // no_progress_timeout_ms of its own. 0: no watchdog.
  std::chrono::milliseconds no_progress_timeout{0};
  // A lease not renewed (heartbeat answered "alive") for lease TTL minus
  // this margin has its trainer stopped by the worker itself, so that the
  // trial never runs twice at once once the coordinator gives it to another
  // worker; the SIGKILL then comes no later than the margin's second half.
  // 0: max(2 heartbeat intervals, 10 % of the lease TTL).
  std::chrono::milliseconds lease_margin{0};
  // Exit when no slot has run an attempt for this long (worker/idle_tracker.h):
  // Run() winds down as on Stop() and returns OK, so a batch job frees its
  // node once the queue is empty. Counts from start or from the end of the
  // last attempt, whether the coordinator answered "nothing yet" or could
  // not be reached. 0: never.
  std::chrono::milliseconds exit_when_idle{0};
  // Heartbeat period. 0: what the coordinator asks for at registration.
  std::chrono::milliseconds heartbeat_interval{0};
  // Metric rows are batched for at most this long (and flushed at every
  // checkpoint and at the end).
  std::chrono::milliseconds metric_flush_interval{1'000};
  // Deadline of each RPC.
  std::chrono::milliseconds rpc_timeout{10'000};
  // --threads of each trainer. 0: 1 for auto CPU slots (PickCpuSlots), else
  // usable cores / slots (at least 1).
  int threads_per_trial = 0;
  // Retry schedule while the coordinator is unreachable: 100 ms doubling up
  // to 5 s, +-20 % jitter.
  BackoffOptions backoff{100, 5'000, 2.0, 0.2};
  // Bound of the on-disk outbox.
  uint64_t outbox_max_bytes = 64ull << 20;
  // gRPC message size limit (both directions).
  int max_message_bytes = 16 << 20;
  // Reported host name. Empty: gethostname().
  std::string host;
  // Id to register under. Empty: the coordinator assigns one.
  std::string worker_id;
  // Seed of the backoff jitter. 0: random.
  uint64_t seed = 0;
  // Borrowed. nullptr: SystemClock::Default().
  Clock* clock = nullptr;
  // Receives one line per state change ("worker <id>: <text>"). Empty: each
  // line goes to stderr with a UTC timestamp (common/log.h).
  LogFn log;
};

}  // namespace ltsweep::worker
