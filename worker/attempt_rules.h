// The worker's rules for ending an attempt, as pure functions: what the
// worker tells the coordinator when a trainer exits (retry, interrupt,
// permanent failure, success), and when it tells nothing and drops the work
// because the lease is gone.
//
// What a trainer exit means is decided by contract::ClassifyExit
// (common/trainer_contract.h); these functions turn its verdict into a
// FinishAttempt request's outcome and error text. Why the worker stopped a
// trainer itself (DecideStop: lease gone, worker stopping, lease not renewed
// in time, time limit, no progress) can change that outcome.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
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

// Why the worker stops a running trainer (SIGTERM to its process group,
// SIGKILL after the grace period).
enum class StopReason {
  kNone,             // keep running
  kLeaseGone,        // the coordinator said so: the work is dropped
  kWorkerStopping,   // shutdown: INTERRUPTED, no try used
  kLeaseNotRenewed,  // partition: the lease could expire any moment; INTERRUPTED
  kTimeLimit,        // lease.timeout_ms: FAILED_RETRYABLE
  kNoProgress,       // no stdout event for the no-progress limit: FAILED_RETRYABLE
  kEarlyStop,        // the coordinator's early termination: STOPPED
};

struct StopDecision {
  StopReason reason = StopReason::kNone;
  // The error text of the attempt for the last three reasons, e.g.
  // "timed out after 2h", "no progress for 10m: last event epoch 3 at
  // 2026-01-02T03:04:05.678Z", "stopped by the worker: lease not renewed for
  // 27s (lease TTL 30s - margin 3s)".
  std::string message;
};

// What a trainer watch knows at one instant (milliseconds of the worker's
// Clock; limits 0 = none).
struct WatchState {
  bool lease_gone = false;
  bool early_stop = false;     // the coordinator decided to stop the trial
  std::string early_stop_reason;
  bool stopping = false;
  int64_t now_ms = 0;
  int64_t started_ms = 0;      // when the trainer was spawned
  int64_t last_event_ms = 0;   // the last stdout event (started_ms when none)
  std::string last_event;      // "epoch 3", "start", ... ("" when none)
  int64_t renewed_ms = 0;      // when the last renewal that succeeded was asked for
  int64_t lease_ttl_ms = 0;    // the coordinator's lease TTL (0: unknown, no check)
  int64_t margin_ms = 0;       // see LeaseMargin
  int64_t timeout_ms = 0;      // lease.timeout_ms
  int64_t no_progress_ms = 0;  // lease.no_progress_timeout_ms, else the worker's flag
};

// Whether (and why) to stop the trainer now. First match wins: lease gone,
// early stop, worker stopping, lease not renewed for (ttl - margin), time limit, no
// progress.
StopDecision DecideStop(const WatchState& state);

// The safety margin of the partition rule: `configured` when > 0, else
// max(2 heartbeat intervals, 10 % of the TTL), and never more than half the
// TTL.
int64_t LeaseMargin(int64_t configured_ms, int64_t heartbeat_ms, int64_t lease_ttl_ms);

// When a trainer stopped at `term_ms` for `reason` gets SIGKILL: after the
// grace period, but for kLeaseNotRenewed no later than renewed + ttl -
// margin / 2, so it is dead before the coordinator can hand the trial on.
int64_t KillAt(StopReason reason, int64_t term_ms, int64_t grace_ms, const WatchState& state);

// "2h", "10m", "30s", "1500ms": a duration for error texts.
std::string FormatDuration(int64_t ms);

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
//   kRetryElsewhere -> RETRY_ELSEWHERE, error = reason + ": " + tail
// When the worker stopped the trainer itself (`stop`), unless it succeeded:
//   kTimeLimit, kNoProgress -> FAILED_RETRYABLE, error = stop.message +
//                              " (trainer <exit>)"
//   kLeaseNotRenewed        -> INTERRUPTED (unless kPermanent), error =
//                              stop.message
//   kEarlyStop              -> STOPPED (unless kPermanent), error =
//                              stop.message
FinishPlan PlanFinish(const contract::TrainerExit& exit, const std::string& done_json,
                      const std::string& stderr_tail, bool lease_gone, const StopDecision& stop = {});

// The worker failed around the trainer (cannot create the attempt folder,
// write the config, start the trainer; work dir full): WORKER_FAULT, exit
// code -1. The coordinator requeues the trial without using up a try.
FinishPlan PlanWorkerFault(const std::string& message);

// The trainer could not be started: PlanWorkerFault("cannot start the
// trainer: " + message).
FinishPlan PlanSpawnFailure(const std::string& message);

// A lease granted just as the worker was told to stop: handed back as
// INTERRUPTED without starting the trainer.
FinishPlan PlanHandBack();

// The trainer gets SIGTERM once its lease is gone or the worker is stopping.
bool ShouldStopTrainer(bool lease_gone, bool stopping);

// A FinishAttempt request for `lease` carrying `plan` (which must not drop).
// The error text is made valid UTF-8 and cut to kMaxErrorBytes by dropping
// its middle (worker/output_limits.h: the reason and the last stderr lines
// stay), so the coordinator can always parse the finish.
v1::FinishAttemptRequest MakeFinishRequest(const std::string& worker_id, const v1::LeaseRef& lease,
                                           const FinishPlan& plan);

}  // namespace ltsweep::worker
