// AttemptRunner: runs one leased attempt on one slot from start to finish.
//
// It writes the trial config to <work_dir>/trial-<id>-a<attempt>/, starts the
// trainer (worker/trainer_command.h, worker/trainer_process.h), turns its
// JSON lines into metric batches (worker/event_mapper.h) sent every
// metric_flush_interval, at every checkpoint and at the end
// (worker/attempt_reporter.h), and stops it -- SIGTERM to its process group,
// then SIGKILL after the grace period -- when worker/attempt_rules.h's
// DecideStop says so: the lease is gone, the worker stops, the lease was not
// renewed for TTL - margin (a partition: the trainer must be dead before the
// coordinator can give the trial to another worker, so its SIGKILL comes no
// later than TTL - margin/2; worker/lease_guard.h applies this rule on a
// thread of its own, so an RPC the slot thread is stuck in cannot delay it),
// the lease's time limit passed, or no event came for the no-progress limit. When the trainer has exited,
// worker/attempt_rules.h decides what to report (or that the work is
// dropped) and the reporter sends it.
//
// Faults of the worker itself (the attempt folder or config cannot be
// written, the work dir is full, the trainer cannot be executed) end the
// attempt as WORKER_FAULT: the trial is requeued without using up a try, and
// the slot carries on.
//
// Ownership: borrows everything it is given, which must outlive it.
// Thread-safety: Run() may be called from several slot threads at once (one
// attempt per slot); the runner keeps no per-attempt state between calls.
#pragma once

#include <string>

#include "common/trainer_contract.h"
#include "proto/worker_service.pb.h"
#include "worker/attempt_rules.h"
#include "worker/attempt_reporter.h"
#include "worker/lease_table.h"
#include "worker/worker_options.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {

class AttemptRunner {
 public:
  // `options` as resolved by Worker::Run(): trainer_path is the trainer to
  // run, slot_layout filled, clock set.
  AttemptRunner(const WorkerOptions& options, WorkerSession& session, LeaseTable& leases,
                AttemptReporter& reporter);

  // Runs the attempt `lease` grants on `slot` until its finish is reported
  // or dropped. The lease is in the LeaseTable (for heartbeats) meanwhile.
  // `leased_ms`: when the Lease call was made (options.clock), the lease's
  // first renewal.
  void Run(int slot, const v1::LeaseResponse& lease, int64_t leased_ms);

 private:
  // Checks the lease before any path is built from it
  // (worker/lease_validation.h). A refused lease is finished at once
  // (FAILED_PERMANENT, or RETRY_ELSEWHERE for a data folder this worker does
  // not allow) and false is returned.
  bool LeaseIsValid(int slot, ActiveLease& active, const v1::LeaseResponse& lease);
  // Reports the attempt's end (or drops it) once its trainer has exited.
  void Conclude(int slot, ActiveLease& lease, const std::string& dir, const contract::TrainerExit& exit,
                const std::string& done_json, const std::string& stderr_tail, const StopDecision& stop,
                const std::string& worker_id);

  const WorkerOptions& options_;
  WorkerSession& session_;
  LeaseTable& leases_;
  AttemptReporter& reporter_;
};

}  // namespace ltsweep::worker
