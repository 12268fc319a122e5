// IdleTracker: how long a worker has been without work, for
// `ltsweep worker --exit-when-idle DURATION` (WorkerOptions::exit_when_idle).
//
// A worker is idle while none of its slots runs an attempt. The idle time
// counts from the later of the worker's start and the end of its last
// attempt, whatever the coordinator answers meanwhile ("nothing yet", or no
// answer at all: a coordinator that is gone for good frees the machine too).
// A trial that runs longer than the limit never makes its worker idle. The
// slot loops call AttemptStarted() / AttemptEnded() around each attempt and
// ask ShouldExit() after each lease request that brought nothing.
//
// Ownership: borrows the Clock. Thread-safety: thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "common/clock.h"

namespace ltsweep::worker {

class IdleTracker {
 public:
  // `limit` 0: never idle enough to exit. The idle time starts now.
  IdleTracker(Clock* clock, std::chrono::milliseconds limit);
  IdleTracker(const IdleTracker&) = delete;
  IdleTracker& operator=(const IdleTracker&) = delete;

  void AttemptStarted();
  void AttemptEnded();

  // How long no slot has run an attempt; 0 while one runs.
  std::chrono::milliseconds IdleFor() const;
  // True when a limit is set and IdleFor() has reached it.
  bool ShouldExit() const;
  // ShouldExit(), true for the first caller only (so one slot logs and stops
  // the worker).
  bool ClaimExit();
  std::chrono::milliseconds limit() const { return limit_; }

 private:
  std::chrono::milliseconds IdleForLocked() const;  // mu_ held

  Clock* const clock_;
  const std::chrono::milliseconds limit_;
  mutable std::mutex mu_;
  int running_ = 0;        // GUARDED_BY(mu_): attempts running now
  int64_t idle_since_ms_;  // GUARDED_BY(mu_): when the last one ended (or start)
  bool claimed_ = false;   // GUARDED_BY(mu_)
};

}  // namespace ltsweep::worker
