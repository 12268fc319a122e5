#include "store/types.h"

#include <array>

namespace ltsweep {

namespace {

template <typename Enum, size_t N>
std::optional<Enum> ParseName(std::string_view name, const std::array<const char*, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

// In enum order.
constexpr std::array<const char*, 6> kSweepNames = {"pending", "running", "done", "cancelled",
                                                    "failed",  "submitting"};
constexpr std::array<const char*, 8> kTrialNames = {"queued", "leased",    "running", "succeeded",
                                                    "failed", "cancelled", "linked",  "stopped"};
constexpr std::array<const char*, 7> kAttemptNames = {"running",     "succeeded", "failed", "lost",
                                                      "interrupted", "cancelled", "stopped"};
constexpr std::array<const char*, 3> kWorkerNames = {"alive", "lost", "stopped"};
constexpr std::array<const char*, 7> kOutcomeNames = {
    "succeeded", "failed_permanent", "failed_retryable", "interrupted", "retry_elsewhere",
    "worker_fault", "stopped"};

}  // namespace

const char* SweepStateName(SweepState s) { return kSweepNames[static_cast<size_t>(s)]; }
const char* TrialStateName(TrialState s) { return kTrialNames[static_cast<size_t>(s)]; }
const char* AttemptStateName(AttemptState s) { return kAttemptNames[static_cast<size_t>(s)]; }
const char* WorkerStateName(WorkerState s) { return kWorkerNames[static_cast<size_t>(s)]; }
const char* AttemptOutcomeName(AttemptOutcome o) { return kOutcomeNames[static_cast<size_t>(o)]; }

std::optional<SweepState> ParseSweepState(std::string_view name) {
  return ParseName<SweepState>(name, kSweepNames);
}
std::optional<TrialState> ParseTrialState(std::string_view name) {
  return ParseName<TrialState>(name, kTrialNames);
}
std::optional<AttemptState> ParseAttemptState(std::string_view name) {
  return ParseName<AttemptState>(name, kAttemptNames);
}
std::optional<WorkerState> ParseWorkerState(std::string_view name) {
  return ParseName<WorkerState>(name, kWorkerNames);
}
std::optional<AttemptOutcome> ParseAttemptOutcome(std::string_view name) {
  return ParseName<AttemptOutcome>(name, kOutcomeNames);
}

bool IsFreeRetry(AttemptOutcome o) {
  return o == AttemptOutcome::kInterrupted || o == AttemptOutcome::kRetryElsewhere ||
         o == AttemptOutcome::kWorkerFault;
}

bool CountsAgainstWorker(AttemptOutcome o) {
  return o == AttemptOutcome::kFailedRetryable || o == AttemptOutcome::kRetryElsewhere ||
         o == AttemptOutcome::kWorkerFault;
}

bool IsTerminal(TrialState s) {
  return s == TrialState::kSucceeded || s == TrialState::kFailed ||
         s == TrialState::kCancelled || s == TrialState::kLinked || s == TrialState::kStopped;
}

int& TrialCounts::at(TrialState s) {
  switch (s) {
    case TrialState::kQueued: return queued;
    case TrialState::kLeased: return leased;
    case TrialState::kRunning: return running;
    case TrialState::kSucceeded: return succeeded;
    case TrialState::kFailed: return failed;
    case TrialState::kCancelled: return cancelled;
    case TrialState::kLinked: return linked;
    case TrialState::kStopped: return stopped;
  }
  return queued;
}

}  // namespace ltsweep
