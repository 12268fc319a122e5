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
constexpr std::array<const char*, 5> kSweepNames = {"pending", "running", "done", "cancelled",
                                                    "failed"};
constexpr std::array<const char*, 7> kTrialNames = {"queued",    "leased",    "running", "succeeded",
                                                    "failed",    "cancelled", "linked"};
constexpr std::array<const char*, 6> kAttemptNames = {"running", "succeeded",   "failed",
                                                      "lost",    "interrupted", "cancelled"};
constexpr std::array<const char*, 3> kWorkerNames = {"alive", "lost", "stopped"};
constexpr std::array<const char*, 4> kOutcomeNames = {"succeeded", "failed_permanent",
                                                      "failed_retryable", "interrupted"};

}  // namespace

const char* SweepStatusName(SweepStatus s) { return kSweepNames[static_cast<size_t>(s)]; }
const char* TrialStatusName(TrialStatus s) { return kTrialNames[static_cast<size_t>(s)]; }
const char* AttemptStatusName(AttemptStatus s) { return kAttemptNames[static_cast<size_t>(s)]; }
const char* WorkerStatusName(WorkerStatus s) { return kWorkerNames[static_cast<size_t>(s)]; }
const char* AttemptOutcomeName(AttemptOutcome o) { return kOutcomeNames[static_cast<size_t>(o)]; }

std::optional<SweepStatus> ParseSweepStatus(std::string_view name) {
  return ParseName<SweepStatus>(name, kSweepNames);
}
std::optional<TrialStatus> ParseTrialStatus(std::string_view name) {
  return ParseName<TrialStatus>(name, kTrialNames);
}
std::optional<AttemptStatus> ParseAttemptStatus(std::string_view name) {
  return ParseName<AttemptStatus>(name, kAttemptNames);
}
std::optional<WorkerStatus> ParseWorkerStatus(std::string_view name) {
  return ParseName<WorkerStatus>(name, kWorkerNames);
}
std::optional<AttemptOutcome> ParseAttemptOutcome(std::string_view name) {
  return ParseName<AttemptOutcome>(name, kOutcomeNames);
}

bool IsTerminal(TrialStatus s) {
  return s == TrialStatus::kSucceeded || s == TrialStatus::kFailed ||
         s == TrialStatus::kCancelled || s == TrialStatus::kLinked;
}

int& TrialCounts::at(TrialStatus s) {
  switch (s) {
    case TrialStatus::kQueued: return queued;
    case TrialStatus::kLeased: return leased;
    case TrialStatus::kRunning: return running;
    case TrialStatus::kSucceeded: return succeeded;
    case TrialStatus::kFailed: return failed;
    case TrialStatus::kCancelled: return cancelled;
    case TrialStatus::kLinked: return linked;
  }
  return queued;
}

}  // namespace ltsweep
