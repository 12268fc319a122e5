#include "spec/search_random.h"

#include <cmath>

namespace ltsweep::spec {

double SearchRng::Unit() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }

uint64_t SearchRng::Below(uint64_t n) {
  if (n <= 1) return 0;
  // Largest multiple of n that fits: draws at or above it are rejected.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
  while (true) {
    uint64_t x = engine_();
    if (x <= limit) return x % n;
  }
}

double SearchRng::Uniform(double min, double max) { return min + (max - min) * Unit(); }

double SearchRng::LogUniform(double min, double max) {
  double lo = std::log(min), hi = std::log(max);
  double v = std::exp(lo + (hi - lo) * Unit());
  // exp(log(x)) may land a hair outside the bounds.
  return v < min ? min : (v > max ? max : v);
}

int64_t SearchRng::IntUniform(int64_t min, int64_t max) {
  return min + static_cast<int64_t>(Below(static_cast<uint64_t>(max - min) + 1));
}

double SearchRng::QUniform(double min, double max, double q) {
  double k = std::round(Uniform(min, max) / q);
  // For q = 1/n (0.1, 0.05, ...), k / n is the correctly rounded decimal
  // (0.3, not 0.30000000000000004).
  double n = std::round(1.0 / q);
  if (n >= 1 && std::fabs(1.0 / n - q) < 1e-15 * n) return k / n;
  return k * q;
}

}  // namespace ltsweep::spec
