// The worker's rules for ending an attempt, as pure functions: what the
// worker tells the coordinator when a trainer exits (retry, interrupt,
// permanent failure, success), and when it tells nothing and drops the work
// because the lease is gone.
//
// What a trainer exit means is decided by contract::ClassifyExit
// (common/trainer_contract.h); these functions turn its verdict into a
// FinishAttempt request's outcome and error text.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/trainer_contract.h"
#include "proto/worker_service.pb.h"

namespace ltsweep::worker {

// How the worker ends one attempt.
struct FinishPlan {
  // The lease is gone (cancelled, expired, stale token): send no finish and
  // discard the attempt's unsent metrics; the coordinator has moved on.
  bool drop = false;
  // The rest fill the FinishAttempt request when !drop.
  v1::AttemptOutcome outcome = v1::OUTCOME_UNSPECIFIED;
  std::string error;        // empty for SUCCEEDED
  std::string result_json;  // the done event, for SUCCEEDED
  int exit_code = 0;        // the exit status, or minus the signal number
};

// The finish of an attempt whose trainer ended with `exit`.
//   done_json: the trainer's done event line ("" when none was read);
//     exit.saw_done is taken from it, whatever the caller set.
//   stderr_tail: the end of the trainer's stderr, trimmed.
//   lease_gone: the coordinator said the lease is gone -> drop.
// Outcomes (ClassifyExit's classes):
//   kSucceeded      -> SUCCEEDED, result_json = done_json
//   kPermanent      -> FAILED_PERMANENT, error = the stderr tail (else the reason)
//   kInterrupted    -> INTERRUPTED (requeued without using up a try)
//   kRetry          -> FAILED_RETRYABLE, error = reason + ": " + tail (no tail
//                      for an exit 4 nobody asked for: the reason says it)
//   kRetryElsewhere -> FAILED_RETRYABLE, like a crash (for now)
FinishPlan PlanFinish(const contract::TrainerExit& exit, const std::string& done_json,
                      const std::string& stderr_tail, bool lease_gone);

// The trainer could not be started: FAILED_RETRYABLE, exit code -1.
FinishPlan PlanSpawnFailure(const std::string& message);

// A lease granted just as the worker was told to stop: handed back as
// INTERRUPTED without starting the trainer.
FinishPlan PlanHandBack();

// The trainer gets SIGTERM once its lease is gone or the worker is stopping.
bool ShouldStopTrainer(bool lease_gone, bool stopping);

// A FinishAttempt request for `lease` carrying `plan` (which must not drop).
v1::FinishAttemptRequest MakeFinishRequest(const std::string& worker_id, const v1::LeaseRef& lease,
                                           const FinishPlan& plan);

}  // namespace ltsweep::worker
