// NumpyRandomState: numpy's legacy np.random.RandomState (numpy 1.24) on top of
// std::mt19937, bit for bit, for the draws the reference implementation makes:
//   * np.random.seed(s)           -> Seed(s)        (MT19937 init_genrand(s))
//   * np.random.shuffle(a)        -> Shuffle(a, n)  (legacy Fisher-Yates, masked rejection)
//   * RandomState.randint(lo, hi) -> RandInt(lo, hi)
//   * RandomState.random_sample() / uniform(0,1) -> RandomSample()
//   * RandomState.standard_normal -> Gauss()        (polar Box-Muller, cached 2nd value)
//   * RandomState.standard_gamma / beta -> StandardGamma(), Beta()
// Used by the long-tail subset (imbalance.h), SMOTE's _make_samples (smote.h)
// and borderline-2's Beta(10, 10) draw.
//
// Ownership: a value type holding the engine state.
// Thread-safety: not thread-safe; use one object per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>

namespace ltsweep::trainer {

class NumpyRandomState {
 public:
  // Same as np.random.RandomState(seed).
  explicit NumpyRandomState(uint32_t seed = 0) { Seed(seed); }

  // np.random.seed(seed): MT19937 init_genrand(seed); clears the cached gauss.
  void Seed(uint32_t seed);

  // One raw 32-bit MT19937 word.
  uint32_t NextUint32() { return static_cast<uint32_t>(engine_()); }
  // numpy's next_uint64: (first word << 32) | second word.
  uint64_t NextUint64();

  // numpy's random_interval(max): uniform on [0, max] by masked rejection
  // (mask = smallest 2^b - 1 >= max; 32-bit words when max < 2^32, else
  // 64-bit). max == 0 returns 0 without drawing.
  uint64_t RandomInterval(uint64_t max);

  // RandomState.randint(low, high): uniform on [low, high) (int64 dtype,
  // masked rejection). Requires low < high; high - low == 1 draws nothing.
  int64_t RandInt(int64_t low, int64_t high);

  // RandomState.random_sample(): ((w1 >> 5) * 2^26 + (w2 >> 6)) / 2^53.
  double RandomSample();
  // RandomState.uniform(low, high): low + (high - low) * RandomSample().
  double Uniform(double low = 0.0, double high = 1.0) { return low + (high - low) * RandomSample(); }

  // legacy_gauss: standard normal by the polar method; every second call
  // returns the value cached by the previous one.
  double Gauss();
  // legacy_standard_exponential: -log(1 - RandomSample()).
  double StandardExponential();
  // legacy_standard_gamma(shape): Marsaglia-Tsang with legacy gauss for
  // shape > 1, exponential for shape == 1, Johnk-style rejection for shape < 1.
  double StandardGamma(double shape);
  // legacy_beta(a, b): Johnk's algorithm when a <= 1 and b <= 1, else
  // X = gamma(a), Y = gamma(b), X / (X + Y).
  double Beta(double a, double b);

  // np.random.shuffle of a 1-D array: for i = n-1 .. 1, j = RandomInterval(i),
  // swap(a[i], a[j]).
  template <typename T>
  void Shuffle(T* data, size_t n) {
    for (size_t i = n; i-- > 1;) {
      size_t j = static_cast<size_t>(RandomInterval(i));
      std::swap(data[i], data[j]);
    }
  }

  std::mt19937& engine() { return engine_; }

 private:
  std::mt19937 engine_;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

}  // namespace ltsweep::trainer
