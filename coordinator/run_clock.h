// RunClock: the coordinator's notion of "now" -- the wall clock read once
// at start, plus the time a steady (monotonic) clock has counted since.
//
// Lease deadlines and worker silences are judged against it, so a step of
// the machine's wall clock (NTP, a VM resumed, an operator's `date -s`)
// neither expires leases nor keeps dead ones alive: within one run of the
// coordinator only real elapsed time counts. Timestamps stay close to the
// wall clock (they drift only by the wall clock's own corrections during
// the run). Across restarts, Store::ResumeLeases gives live leases a fresh
// deadline, so downtime never counts either.
//
// SteadyClock reads std::chrono::steady_clock (milliseconds since an
// arbitrary epoch; only differences mean anything).
//
// Ownership: RunClock borrows both clocks (they must outlive it).
// Thread-safety: thread-safe (both Clocks are).
#pragma once

#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace ltsweep::coordinator {

class SteadyClock final : public Clock {
 public:
  int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static SteadyClock* Default() {
    static SteadyClock clock;
    return &clock;
  }
};

class RunClock final : public Clock {
 public:
  RunClock(const Clock* wall, const Clock* steady)
      : steady_(steady), wall_at_start_(wall->NowMillis()), steady_at_start_(steady->NowMillis()) {}
  int64_t NowMillis() const override {
    return wall_at_start_ + (steady_->NowMillis() - steady_at_start_);
  }

 private:
  const Clock* steady_;
  const int64_t wall_at_start_;
  const int64_t steady_at_start_;
};

}  // namespace ltsweep::coordinator
