// Worker: the daemon that runs trials on one machine (`ltsweep worker`).
//
// It registers with the coordinator (host name, slots, GPUs), then each slot
// pulls one lease at a time and runs the trial in its own trainer process:
// CUDA_VISIBLE_DEVICES names the slot's GPU (or is empty on a CPU-only
// worker), --threads a fair share of the cores, and with a checkpoint root on
// a shared file system --checkpoint-dir <root>/<trial id>-<config hash
// prefix> --resume, so a retried trial continues from its last checkpoint.
// The trainer's JSON lines become metric batches, sent every
// metric_flush_interval and at every checkpoint and at the end. A heartbeat
// thread renews the leases.
//
// Failures: what a trainer exit means is common/trainer_contract.h's
// ClassifyExit; exit 2 or 3 fails the trial for good with the trainer's
// stderr tail as the error; exit 5 ("cannot run here") is reported as
// RETRY_ELSEWHERE; crashes, signals and an exit 4 nobody asked for are
// reported as retryable. Faults of the worker around the trainer (attempt
// folder, config file, work dir full, exec) are reported as WORKER_FAULT.
// Trainers run in process groups of their own; every stop signal goes to
// the whole group. A trainer past the lease's time limit or silent for the
// no-progress limit is stopped and its attempt fails retryably. When the
// coordinator cannot be reached the trainer keeps running, batches go to a
// bounded on-disk outbox in work_dir and are re-sent with exponential
// backoff and jitter -- until the lease has gone unrenewed for its TTL minus
// a margin: then the worker stops the trainer itself (it must be dead before
// the coordinator can hand the trial to another worker) and reports the
// attempt as interrupted once it is back in touch. Work is dropped when the
// coordinator says the lease is gone (cancelled or expired): then the
// trainer gets SIGTERM, and SIGKILL after the grace period. Everything the
// worker drops is logged, and counted in one line when it stops.
//
// Stop() (the daemon calls it on SIGTERM): no new leases, running trainers
// get SIGTERM (they checkpoint and exit 4), their attempts are reported as
// interrupted, and Run() returns. With exit_when_idle the worker does the
// same by itself once no slot has had work for that long.
//
// The parts, each in its own header:
//   worker/worker_options.h    every setting and its default
//   worker/slot_layout.h       the slots: CPU (threads) or holding GPUs, --cpu-slots auto
//   worker/gpu_detect.h        --gpus auto, and the trainers' CUDA_VISIBLE_DEVICES
//   worker/coordinator_client.h the RPCs, with deadlines and error classes
//   worker/registration.h      register (again)
//   worker/slot_loop.h         lease per slot, hand back on stop
//   worker/idle_tracker.h      idle time, for exit_when_idle
//   worker/heartbeat_loop.h    renew leases, notice gone ones
//   worker/attempt_runner.h    one attempt: spawn, relay events, stop, finish
//   worker/lease_guard.h       stops a trainer whose lease was not renewed in time
//   worker/attempt_rules.h     exit -> FinishAttempt outcome; drop rule (pure)
//   worker/attempt_reporter.h  metric batches (via the outbox) and the finish
//   worker/trainer_command.h   the trainer's argv and environment (pure)
//   worker/output_limits.h     caps on trainer output (lines, JSON depth, UTF-8)
//   worker/worker_session.h    id, stop flag, reachability, log
//   worker/worker_metrics.h    counters and scrape-time gauges for /metrics
//   worker/worker_http.h       `ltsweep worker --http`: /metrics and /healthz
//
// Ownership: the Worker owns its channel, threads and trainer processes; the
// Clock in the options is borrowed. Thread-safety: Run() once, from one
// thread; Stop() from any thread (not from a signal handler).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/worker_options.h"

namespace ltsweep::worker {

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
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "0,1,3" into GPU indices; INVALID_ARGUMENT names the bad item.
StatusOr<std::vector<int>> ParseGpuList(const std::string& text);

}  // namespace ltsweep::worker
