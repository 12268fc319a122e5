#include "store/lease_token.h"

namespace ltsweep {

LeaseTokenSource::LeaseTokenSource(std::optional<uint64_t> seed) {
  if (seed) {
    engine_.seed(*seed);
  } else {
    // Seed the whole state, not just 64 bits of it.
    std::random_device device("/dev/urandom");
    std::seed_seq seq{device(), device(), device(), device(), device(), device(), device(),
                      device()};
    engine_.seed(seq);
  }
}

std::string LeaseTokenSource::Next() {
  static const char kHex[] = "0123456789abcdef";
  std::string token(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = engine_();
    for (int i = 0; i < 16; ++i) {
      token[half * 16 + i] = kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return token;
}

}  // namespace ltsweep
