#include "worker/attempt_rules.h"

namespace ltsweep::worker {
namespace {

std::string WithTail(const std::string& reason, const std::string& tail) {
  return tail.empty() ? reason : reason + ": " + tail;
}

}  // namespace

FinishPlan PlanFinish(const contract::TrainerExit& exit, const std::string& done_json,
                      const std::string& stderr_tail, bool lease_gone) {
  FinishPlan plan;
  if (lease_gone) {
    plan.drop = true;
    return plan;
  }
  contract::TrainerExit seen = exit;
  seen.saw_done = !done_json.empty();
  const contract::ExitVerdict verdict = contract::ClassifyExit(seen);
  plan.exit_code = exit.signaled ? -exit.signal : exit.code;
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
      // For now like a crash; a later issue gives "cannot run here" its own handling.
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

FinishPlan PlanSpawnFailure(const std::string& message) {
  FinishPlan plan;
  plan.outcome = v1::FAILED_RETRYABLE;
  plan.error = "cannot start the trainer: " + message;
  plan.exit_code = -1;
  return plan;
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
  finish.set_error(plan.error);
  finish.set_exit_code(plan.exit_code);
  finish.set_result_json(plan.result_json);
  return finish;
}

}  // namespace ltsweep::worker
