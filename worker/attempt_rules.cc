#include "worker/attempt_rules.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/utc_time.h"
#include "worker/output_limits.h"

namespace ltsweep::worker {
namespace {

std::string WithTail(const std::string& reason, const std::string& tail) {
  return tail.empty() ? reason : reason + ": " + tail;
}

// Fills `plan` for a trainer the worker stopped itself for `stop`; false
// when the ordinary rules apply (it succeeded, or was not stopped that way).
bool PlanStopped(const contract::ExitVerdict& verdict, const contract::TrainerExit& exit, const StopDecision& stop,
                 FinishPlan& plan) {
  if (verdict.cls == contract::ExitClass::kSucceeded) return false;
  switch (stop.reason) {
    case StopReason::kTimeLimit:
    case StopReason::kNoProgress:
      plan.outcome = v1::FAILED_RETRYABLE;
      plan.error = fmt::format("{} (trainer {})", stop.message, contract::DescribeExit(exit));
      return true;
    case StopReason::kLeaseNotRenewed:
      if (verdict.cls == contract::ExitClass::kPermanent) return false;
      plan.outcome = v1::INTERRUPTED;
      plan.error = stop.message;
      return true;
    case StopReason::kEarlyStop:
      if (verdict.cls == contract::ExitClass::kPermanent) return false;
      plan.outcome = v1::STOPPED;
      plan.error = stop.message;
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string FormatDuration(int64_t ms) {
  if (ms > 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms > 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms > 0 && ms % 1'000 == 0) return fmt::format("{}s", ms / 1'000);
  return fmt::format("{}ms", ms);
}

int64_t LeaseMargin(int64_t configured_ms, int64_t heartbeat_ms, int64_t lease_ttl_ms) {
  const int64_t margin = configured_ms > 0 ? configured_ms : std::max(2 * heartbeat_ms, lease_ttl_ms / 10);
  return std::min(margin, lease_ttl_ms / 2);
}

StopDecision DecideStop(const WatchState& s) {
  if (s.lease_gone) return {StopReason::kLeaseGone, ""};
  if (s.early_stop) {
    return {StopReason::kEarlyStop,
            "stopped early" + (s.early_stop_reason.empty() ? std::string() : ": " + s.early_stop_reason)};
  }
  if (s.stopping) return {StopReason::kWorkerStopping, ""};
  if (s.lease_ttl_ms > 0 && s.now_ms - s.renewed_ms >= s.lease_ttl_ms - s.margin_ms) {
    return {StopReason::kLeaseNotRenewed,
            fmt::format("stopped by the worker: lease not renewed for {} (lease TTL {} - margin {}); "
                        "the coordinator could not be reached",
                        FormatDuration(s.now_ms - s.renewed_ms), FormatDuration(s.lease_ttl_ms),
                        FormatDuration(s.margin_ms))};
  }
  if (s.timeout_ms > 0 && s.now_ms - s.started_ms >= s.timeout_ms) {
    return {StopReason::kTimeLimit, "timed out after " + FormatDuration(s.timeout_ms)};
  }
  if (s.no_progress_ms > 0 && s.now_ms - s.last_event_ms >= s.no_progress_ms) {
    const std::string last = s.last_event.empty()
                                 ? "no event yet"
                                 : fmt::format("last event {} at {}", s.last_event, FormatUtcMillis(s.last_event_ms));
    return {StopReason::kNoProgress, fmt::format("no progress for {}: {}", FormatDuration(s.no_progress_ms), last)};
  }
  return {};
}

int64_t KillAt(StopReason reason, int64_t term_ms, int64_t grace_ms, const WatchState& state) {
  int64_t at = term_ms + grace_ms;
  if (reason == StopReason::kLeaseNotRenewed) {
    at = std::min(at, state.renewed_ms + state.lease_ttl_ms - state.margin_ms / 2);
  }
  return at;
}

FinishPlan PlanFinish(const contract::TrainerExit& exit, const std::string& done_json,
                      const std::string& stderr_tail, bool lease_gone, const StopDecision& stop) {
  FinishPlan plan;
  if (lease_gone) {
    plan.drop = true;
    return plan;
  }
  contract::TrainerExit seen = exit;
  seen.saw_done = !done_json.empty();
  const contract::ExitVerdict verdict = contract::ClassifyExit(seen);
  plan.exit_code = exit.signaled ? -exit.signal : exit.code;
  if (PlanStopped(verdict, exit, stop, plan)) return plan;
  switch (verdict.cls) {
    case contract::ExitClass::kSucceeded:
      plan.outcome = v1::SUCCEEDED;
      plan.result_json = done_json;
      break;
    case contract::ExitClass::kPermanent:
      plan.outcome = v1::FAILED_PERMANENT;
      plan.error = stderr_tail.empty() ? verdict.reason : stderr_tail;
      break;
    case contract::ExitClass::kInterrupted:
      // Interrupted by us: does not use up one of the trial's tries.
      plan.outcome = v1::INTERRUPTED;
      plan.error = verdict.reason;
      break;
    case contract::ExitClass::kRetryElsewhere:
      // Another worker may run it; the coordinator requeues without using a try.
      plan.outcome = v1::RETRY_ELSEWHERE;
      plan.error = WithTail(verdict.reason, stderr_tail);
      break;
    case contract::ExitClass::kRetry: {
      // An exit 4 nobody asked for counts like a crash, so a trainer that
      // keeps stopping itself cannot loop forever; its reason says it all.
      const bool self_interrupted = !exit.signaled && exit.code == contract::kExitInterrupted;
      plan.outcome = v1::FAILED_RETRYABLE;
      plan.error = self_interrupted ? verdict.reason : WithTail(verdict.reason, stderr_tail);
      break;
    }
  }
  return plan;
}

FinishPlan PlanWorkerFault(const std::string& message) {
  FinishPlan plan;
  plan.outcome = v1::WORKER_FAULT;
  plan.error = message;
  plan.exit_code = -1;
  return plan;
}

FinishPlan PlanSpawnFailure(const std::string& message) {
  return PlanWorkerFault("cannot start the trainer: " + message);
}

FinishPlan PlanHandBack() {
  FinishPlan plan;
  plan.outcome = v1::INTERRUPTED;
  plan.error = "interrupted: the worker is shutting down";
  return plan;
}

bool ShouldStopTrainer(bool lease_gone, bool stopping) { return lease_gone || stopping; }

v1::FinishAttemptRequest MakeFinishRequest(const std::string& worker_id, const v1::LeaseRef& lease,
                                           const FinishPlan& plan) {
  v1::FinishAttemptRequest finish;
  finish.set_worker_id(worker_id);
  *finish.mutable_lease() = lease;
  finish.set_outcome(plan.outcome);
  finish.set_error(ElideMiddleUtf8(ToValidUtf8(plan.error), kMaxErrorBytes));
  finish.set_exit_code(plan.exit_code);
  finish.set_result_json(ToValidUtf8(plan.result_json));
  return finish;
}

}  // namespace ltsweep::worker
