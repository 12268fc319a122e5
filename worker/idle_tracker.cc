#include "worker/idle_tracker.h"

#include <algorithm>

namespace ltsweep::worker {

IdleTracker::IdleTracker(Clock* clock, std::chrono::milliseconds limit)
    : clock_(clock), limit_(limit), idle_since_ms_(clock->NowMillis()) {}

void IdleTracker::AttemptStarted() {
  std::lock_guard<std::mutex> lock(mu_);
  ++running_;
}

void IdleTracker::AttemptEnded() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_ > 0) --running_;
  idle_since_ms_ = clock_->NowMillis();
}

std::chrono::milliseconds IdleTracker::IdleFor() const {
  std::lock_guard<std::mutex> lock(mu_);
  return IdleForLocked();
}

std::chrono::milliseconds IdleTracker::IdleForLocked() const {
  if (running_ > 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(std::max<int64_t>(0, clock_->NowMillis() - idle_since_ms_));
}

bool IdleTracker::ShouldExit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_.count() > 0 && IdleForLocked() >= limit_;
}

bool IdleTracker::ClaimExit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (claimed_ || limit_.count() <= 0 || IdleForLocked() < limit_) return false;
  claimed_ = true;
  return true;
}

}  // namespace ltsweep::worker
