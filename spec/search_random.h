// The random draws of random search, written out so that a spec expands to
// the same trials with any standard library (std::uniform_*_distribution
// differ between libstdc++ and libc++). The engine is std::mt19937_64, whose
// output the C++ standard fixes.
//
// Thread-safety: a SearchRng is used by one thread at a time.
#pragma once

#include <cstdint>
#include <random>

namespace ltsweep::spec {

class SearchRng {
 public:
  explicit SearchRng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1): the top 53 bits of one 64-bit draw.
  double Unit();
  // Uniform integer in [0, n), n >= 1, without modulo bias (rejection).
  uint64_t Below(uint64_t n);

  // W&B semantics: uniform on [min, max]; exp(uniform(log min, log max));
  // an integer in [min, max]; round(uniform(min, max) / q) * q.
  double Uniform(double min, double max);
  double LogUniform(double min, double max);
  int64_t IntUniform(int64_t min, int64_t max);
  double QUniform(double min, double max, double q);

 private:
  std::mt19937_64 engine_;
};

}  // namespace ltsweep::spec
