// AttemptRunner: runs one leased attempt on one slot from start to finish.
//
// It writes the trial config to <work_dir>/trial-<id>-a<attempt>/, starts the
// trainer (worker/trainer_command.h, worker/trainer_process.h), turns its
// JSON lines into metric batches (worker/event_mapper.h) sent every
// metric_flush_interval, at every checkpoint and at the end
// (worker/attempt_reporter.h), and stops it -- SIGTERM, then SIGKILL after
// the grace period -- once the lease is gone or the worker stops. When the
// trainer has exited, worker/attempt_rules.h decides what to report (or that
// the work is dropped) and the reporter sends it.
//
// Ownership: borrows everything it is given, which must outlive it.
// Thread-safety: Run() may be called from several slot threads at once (one
// attempt per slot); the runner keeps no per-attempt state between calls.
#pragma once

#include <string>

#include "common/trainer_contract.h"
#include "proto/worker_service.pb.h"
#include "worker/attempt_reporter.h"
#include "worker/lease_table.h"
#include "worker/worker_options.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {

class AttemptRunner {
 public:
  // `options` as resolved by Worker::Run(): trainer_path is the trainer to
  // run, threads_per_trial > 0, clock set.
  AttemptRunner(const WorkerOptions& options, WorkerSession& session, LeaseTable& leases,
                AttemptReporter& reporter);

  // Runs the attempt `lease` grants on `slot` until its finish is reported
  // or dropped. The lease is in the LeaseTable (for heartbeats) meanwhile.
  void Run(int slot, const v1::LeaseResponse& lease);

 private:
  // Checks the lease before any path is built from it
  // (worker/lease_validation.h). A refused lease is finished at once
  // (FAILED_PERMANENT, or RETRY_ELSEWHERE for a data folder this worker does
  // not allow) and false is returned.
  bool LeaseIsValid(int slot, ActiveLease& active, const v1::LeaseResponse& lease);
  // Reports the attempt's end (or drops it) once its trainer has exited.
  void Conclude(int slot, ActiveLease& lease, const std::string& dir, const contract::TrainerExit& exit,
                const std::string& done_json, const std::string& stderr_tail, const std::string& worker_id);

  const WorkerOptions& options_;
  WorkerSession& session_;
  LeaseTable& leases_;
  AttemptReporter& reporter_;
};

}  // namespace ltsweep::worker
