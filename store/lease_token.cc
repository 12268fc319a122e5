#include "store/lease_token.h"

#include <cstdio>
#include <cstdlib>

#include "common/secrets.h"

namespace ltsweep {

LeaseTokenSource::LeaseTokenSource(std::optional<uint64_t> seed) {
  if (seed) seeded_.emplace(*seed);
}

std::string LeaseTokenSource::Next() {
  if (!seeded_) {
    StatusOr<std::string> token = SecureRandomHex(16);
    if (!token.ok()) {
      std::fprintf(stderr, "lease tokens: %s\n", token.status().ToString().c_str());
      std::abort();
    }
    return *token;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string token(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = (*seeded_)();
    for (int i = 0; i < 16; ++i) {
      token[half * 16 + i] = kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return token;
}

}  // namespace ltsweep
