#include "common/trainer_contract.h"

#include <cstring>

#include <fmt/format.h>

namespace ltsweep::contract {

std::string DescribeExit(const TrainerExit& exit) {
  if (exit.signaled) return fmt::format("killed by signal {} ({})", exit.signal, strsignal(exit.signal));
  return fmt::format("exit status {}", exit.code);
}

ExitVerdict ClassifyExit(const TrainerExit& exit) {
  if (exit.signaled) return {ExitClass::kRetry, "trainer crashed: " + DescribeExit(exit)};
  switch (exit.code) {
    case kExitOk:
      if (exit.saw_done) return {ExitClass::kSucceeded, ""};
      return {ExitClass::kRetry, "trainer exited 0 without a done event"};
    case kExitInvalidConfig:
    case kExitUnusableData:
      return {ExitClass::kPermanent, fmt::format("trainer {} with no message", DescribeExit(exit))};
    case kExitInterrupted:
      if (exit.asked_to_stop) return {ExitClass::kInterrupted, "interrupted: the worker is shutting down"};
      return {ExitClass::kRetry, "trainer exited 4 (interrupted) without being asked to stop"};
    case kExitCannotRunHere:
      return {ExitClass::kRetryElsewhere, "this machine cannot run the trial: " + DescribeExit(exit)};
    default:
      return {ExitClass::kRetry, "trainer crashed: " + DescribeExit(exit)};
  }
}

}  // namespace ltsweep::contract
