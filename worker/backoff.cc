#include "worker/backoff.h"

#include <algorithm>
#include <cmath>

namespace ltsweep::worker {

int64_t Backoff::NextDelayMs() {
  double base = static_cast<double>(options_.initial_ms) * std::pow(options_.multiplier, failures_);
  base = std::min(base, static_cast<double>(options_.max_ms));
  ++failures_;
  const double j = std::clamp(options_.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> factor(1.0 - j, 1.0 + j);
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(base * factor(rng_))));
}

}  // namespace ltsweep::worker
