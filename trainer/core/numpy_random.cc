#include "trainer/core/numpy_random.h"

#include <cmath>

namespace ltsweep::trainer {

void NumpyRandomState::Seed(uint32_t seed) {
  engine_.seed(seed);
  has_gauss_ = false;
  gauss_ = 0.0;
}

uint64_t NumpyRandomState::NextUint64() {
  uint64_t hi = NextUint32();
  uint64_t lo = NextUint32();
  return (hi << 32) | lo;
}

uint64_t NumpyRandomState::RandomInterval(uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  uint64_t value;
  if (max <= 0xffffffffULL) {
    while ((value = (NextUint32() & mask)) > max) {
    }
  } else {
    while ((value = (NextUint64() & mask)) > max) {
    }
  }
  return value;
}

int64_t NumpyRandomState::RandInt(int64_t low, int64_t high) {
  // numpy: random_bounded_uint64_fill(off = low, rng = high - low - 1, masked).
  uint64_t rng = static_cast<uint64_t>(high) - static_cast<uint64_t>(low) - 1;
  return low + static_cast<int64_t>(RandomInterval(rng));
}

double NumpyRandomState::RandomSample() {
  int32_t a = static_cast<int32_t>(NextUint32() >> 5);
  int32_t b = static_cast<int32_t>(NextUint32() >> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double NumpyRandomState::Gauss() {
  if (has_gauss_) {
    has_gauss_ = false;
    double temp = gauss_;
    gauss_ = 0.0;
    return temp;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * RandomSample() - 1.0;
    x2 = 2.0 * RandomSample() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

double NumpyRandomState::StandardExponential() { return -std::log(1.0 - RandomSample()); }

double NumpyRandomState::StandardGamma(double shape) {
  if (shape == 1.0) return StandardExponential();
  if (shape == 0.0) return 0.0;
  if (shape < 1.0) {
    for (;;) {
      double u = RandomSample();
      double v = StandardExponential();
      if (u <= 1.0 - shape) {
        double x = std::pow(u, 1.0 / shape);
        if (x <= v) return x;
      } else {
        double y = -std::log((1 - u) / shape);
        double x = std::pow(1.0 - shape + shape * y, 1.0 / shape);
        if (x <= (v + y)) return x;
      }
    }
  }
  double b = shape - 1.0 / 3.0;
  double c = 1.0 / std::sqrt(9 * b);
  for (;;) {
    double x, v;
    do {
      x = Gauss();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    double u = RandomSample();
    if (u < 1.0 - 0.0331 * (x * x) * (x * x)) return b * v;
    if (std::log(u) < 0.5 * x * x + b * (1.0 - v + std::log(v))) return b * v;
  }
}

double NumpyRandomState::Beta(double a, double b) {
  if (a <= 1.0 && b <= 1.0) {
    for (;;) {
      double u = RandomSample();
      double v = RandomSample();
      double x = std::pow(u, 1.0 / a);
      double y = std::pow(v, 1.0 / b);
      if (x + y <= 1.0) {
        if (x + y > 0) return x / (x + y);
        double log_x = std::log(u) / a;
        double log_y = std::log(v) / b;
        double log_m = log_x > log_y ? log_x : log_y;
        log_x -= log_m;
        log_y -= log_m;
        return std::exp(log_x - std::log(std::exp(log_x) + std::exp(log_y)));
      }
    }
  }
  double ga = StandardGamma(a);
  double gb = StandardGamma(b);
  return ga / (ga + gb);
}

}  // namespace ltsweep::trainer
