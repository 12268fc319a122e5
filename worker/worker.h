// Worker: the daemon that runs trials on one machine (`ltsweep worker`).
//
// It registers with the coordinator (host name, slots, GPUs), then each slot
// pulls one lease at a time and runs the trial in its own trainer process
// (worker/trainer_process.h): CUDA_VISIBLE_DEVICES names the slot's GPU (or
// is empty on a CPU-only worker), --threads a fair share of the cores, and
// with a checkpoint root on a shared file system --checkpoint-dir
// <root>/<trial id>-<config hash prefix> --resume, so a retried trial continues from its last
// checkpoint. The trainer's JSON lines become metric batches
// (worker/event_mapper.h), sent every metric_flush_interval and at every
// checkpoint and at the end. A heartbeat thread renews the leases.
//
// Failures: trainer exit 2 or 3 fails the trial for good with the trainer's
// stderr tail as the error; crashes, signals and exit 4 are reported as
// retryable. When the coordinator cannot be reached the trainer keeps running,
// batches go to a bounded on-disk outbox in work_dir and are re-sent with
// exponential backoff and jitter; work is dropped only when the coordinator
// says the lease is gone (cancelled or expired): then the trainer gets
// SIGTERM, and SIGKILL after the grace period.
//
// Stop() (the daemon calls it on SIGTERM): no new leases, running trainers
// get SIGTERM (they checkpoint and exit 4), their attempts are reported as
// interrupted, and Run() returns.
//
// Ownership: the Worker owns its channel, threads and trainer processes; the
// Clock in the options is borrowed. Thread-safety: Run() once, from one
// thread; Stop() from any thread (not from a signal handler).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "worker/backoff.h"

namespace grpc {
class Channel;
}

namespace ltsweep::worker {

struct WorkerOptions {
  // Coordinator address, "host:port". Required.
  std::string coordinator;
  // Trial slots. 0: one per GPU when gpus is given, else 1.
  int slots = 0;
  // GPU index of each slot (slot i uses gpus[i % gpus.size()]). Empty: CPU
  // only; trainers get CUDA_VISIBLE_DEVICES="" and --device cpu.
  std::vector<int> gpus;
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
  // SIGTERM -> SIGKILL grace period for trainers.
  std::chrono::milliseconds grace{30'000};
  // Heartbeat period. 0: what the coordinator asks for at registration.
  std::chrono::milliseconds heartbeat_interval{0};
  // Metric rows are batched for at most this long (and flushed at every
  // checkpoint and at the end).
  std::chrono::milliseconds metric_flush_interval{1'000};
  // Deadline of each RPC.
  std::chrono::milliseconds rpc_timeout{10'000};
  // --threads of each trainer. 0: hardware threads / slots (at least 1).
  int threads_per_trial = 0;
  // Retry schedule while the coordinator is unreachable.
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
  // Receives one line per state change. Empty: written to stderr.
  std::function<void(const std::string&)> log;
};

class Worker {
 public:
  explicit Worker(WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Registers (retrying until the coordinator answers or Stop()), then runs
  // trials until Stop(). Returns an error only for bad options (no trainer,
  // unusable work dir).
  Status Run();

  // Asks Run() to wind down (see the header comment). Returns at once.
  void Stop();

  // Empty until registered.
  std::string worker_id() const;

 private:
  struct Active;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "0,1,3" into GPU indices; INVALID_ARGUMENT names the bad item.
StatusOr<std::vector<int>> ParseGpuList(const std::string& text);

}  // namespace ltsweep::worker
