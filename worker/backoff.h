// Backoff: exponential backoff with jitter for retrying a coordinator that
// cannot be reached (DESIGN.md: work is dropped only when the coordinator
// says the lease is gone, so the worker keeps trying).
//
// Delay n (0-based) is min(max, initial * multiplier^n), scaled by a factor
// drawn uniformly from [1 - jitter, 1 + jitter] with the seeded engine passed
// in, so tests get the same sequence every time.
//
// Thread-safety: not thread-safe; one Backoff per retry loop.
#pragma once

#include <cstdint>
#include <random>

namespace ltsweep::worker {

struct BackoffOptions {
  int64_t initial_ms = 100;   // first delay
  int64_t max_ms = 10'000;    // cap before jitter
  double multiplier = 2.0;    // growth per failure
  double jitter = 0.2;        // +-20 %
};

class Backoff {
 public:
  Backoff(const BackoffOptions& options, uint64_t seed) : options_(options), rng_(seed) {}

  // The delay before the next try; each call counts one more failure.
  int64_t NextDelayMs();
  // After a success: the next failure starts from initial_ms again.
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
  int failures_ = 0;
};

}  // namespace ltsweep::worker
