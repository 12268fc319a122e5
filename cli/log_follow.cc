#include "cli/log_follow.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace ltsweep::cli {

namespace {

using Ms = std::chrono::milliseconds;

void Sleep(const FollowOptions& options, Ms d) {
  if (options.sleep) return options.sleep(d);
  std::this_thread::sleep_for(d);
}

// Prints one answer; true when it brought new bytes.
bool Print(const TrialLog& log, std::ostream& out, std::ostream& err) {
  if (log.dropped_bytes > 0) {
    out.flush();
    err << fmt::format("ltsweep: {} of trial {} attempt {} dropped here (only the last {} of each attempt is kept)\n",
                       FormatBytes(log.dropped_bytes), log.trial_id, log.attempt, FormatBytes(int64_t{1} << 20));
    err.flush();
  }
  if (!log.text.empty()) {
    out << log.text;
    out.flush();
  }
  return log.next_offset > log.from_offset;
}

// The first answer that names an attempt (following: waiting for the trial
// to start); nullopt with OK when not following and there is none.
StatusOr<std::optional<TrialLog>> FirstRead(const LogReadFn& read, const FollowOptions& options, std::ostream& err) {
  Ms wait = options.first_poll;
  bool said = false;
  for (;;) {
    StatusOr<TrialLog> log = read(options.attempt, 0);
    if (log.ok() && log->attempt > 0) return std::optional<TrialLog>(std::move(*log));
    if (!log.ok() && !(options.follow && options.transient && options.transient(log.status()))) return log.status();
    if (log.ok() && !options.follow) {
      err << fmt::format("trial {} has not started yet: no attempt, no log\n", log->trial_id);
      return std::optional<TrialLog>();
    }
    if (!said) {
      err << (log.ok() ? fmt::format("trial {} has not started yet: waiting for its first attempt\n", log->trial_id)
                       : fmt::format("ltsweep: {}; trying again\n", log.status().message()));
      said = true;
    }
    Sleep(options, wait);
    wait = std::min(options.max_poll, Ms(static_cast<int64_t>(wait.count() * options.backoff_factor)));
  }
}

}  // namespace

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} byte{}", bytes, bytes == 1 ? "" : "s");
  if (bytes < (int64_t{1} << 20)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

Status PrintTrialLog(const LogReadFn& read, const FollowOptions& options, std::ostream& out, std::ostream& err) {
  LTSWEEP_ASSIGN_OR_RETURN(std::optional<TrialLog> first, FirstRead(read, options, err));
  if (!first) return Status::Ok();
  const int attempt = first->attempt;  // followed to its end, even when a retry starts
  TrialLog log = std::move(*first);
  err << fmt::format("trial {} attempt {} ({}{})\n", log.trial_id, attempt, log.attempt_state,
                     log.source_trial_id != log.trial_id ? fmt::format(", the log of trial {}", log.source_trial_id)
                                                          : "");
  err.flush();
  Ms wait = options.first_poll;
  bool said_unreachable = false;
  for (;;) {
    const bool fresh = Print(log, out, err);
    const bool all_read = log.next_offset >= log.end_offset;
    if (all_read && (!options.follow || log.finished)) {
      if (options.follow) err << fmt::format("trial {} attempt {} ended: {}\n", log.trial_id, attempt, log.attempt_state);
      return Status::Ok();
    }
    if (fresh || !all_read) {
      wait = options.first_poll;
    } else {
      Sleep(options, wait);
      wait = std::min(options.max_poll, Ms(static_cast<int64_t>(wait.count() * options.backoff_factor)));
    }
    const int64_t from = log.next_offset;
    StatusOr<TrialLog> next = read(attempt, from);
    while (!next.ok() && options.follow && options.transient && options.transient(next.status())) {
      if (!said_unreachable) err << fmt::format("ltsweep: {}; trying again\n", next.status().message());
      said_unreachable = true;
      Sleep(options, options.max_poll);
      next = read(attempt, from);
    }
    if (!next.ok()) return next.status();
    said_unreachable = false;
    log = std::move(*next);
  }
}

}  // namespace ltsweep::cli
