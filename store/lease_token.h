// Lease tokens: 128 random bits written as 32 lower-case hex digits.
//
// A token fences one attempt of one trial: reports carrying any other token
// are refused. Tokens come from the kernel's CSPRNG (getrandom(2), through
// common/secrets.h), so one token tells nothing about the next; a seeded,
// predictable engine is used only when a seed is given (reproducible tests).
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
  // nullopt: every token from the kernel's CSPRNG. A seed: a std::mt19937_64
  // seeded with it (tests only: its tokens can be predicted).
  explicit LeaseTokenSource(std::optional<uint64_t> seed);

  // The next token, 32 hex digits. Aborts the process if the kernel refuses
  // random bytes (it never does once booted): a predictable token would be
  // worse than no coordinator.
  std::string Next();

 private:
  std::optional<std::mt19937_64> seeded_;
};

}  // namespace ltsweep
