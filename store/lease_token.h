// Lease tokens: 128 random bits written as 32 lower-case hex digits.
//
// A token fences one attempt of one trial: reports carrying any other token
// are refused. Tokens come from /dev/urandom, or from a seeded engine when a
// seed is given (reproducible tests).
//
// Thread-safety: not thread-safe (the Store calls it under its mutex).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace ltsweep {

class LeaseTokenSource {
 public:
  // nullopt: seed from /dev/urandom.
  explicit LeaseTokenSource(std::optional<uint64_t> seed);

  // The next token, 32 hex digits.
  std::string Next();

 private:
  std::mt19937_64 engine_;
};

}  // namespace ltsweep
