// Small primitives for handling secrets (bearer tokens, lease tokens): random
// bytes from the kernel's CSPRNG, hex encoding, and a comparison whose time
// does not depend on where two strings first differ.
//
// Only libc is used (getrandom(2)), so common/ keeps to header-only
// dependencies. Hashing lives in common/config_hash.h (Sha256Hex).
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ltsweep {

// `n` bytes from getrandom(2) (the kernel's CSPRNG, blocking only until it is
// seeded at boot). INTERNAL when the kernel refuses.
StatusOr<std::string> SecureRandomBytes(size_t n);

// `n` random bytes as 2n lower-case hex digits (see SecureRandomBytes).
StatusOr<std::string> SecureRandomHex(size_t n);

// Lower-case hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);

// True when `a` and `b` are equal. Looks at every byte of the longer string
// whatever the contents, so the time taken tells nothing about how much of a
// guess was right (only, at most, the lengths).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Reads a file that holds secrets (a tokens file, a client's token), after
// checking it is private: NOT_FOUND when absent, PERMISSION_DENIED when it
// cannot be read or when other users may read or write it or its group may
// write it (the message names the file, its mode and `chmod 600`). `flag`
// names the option that gave the path ("--auth-tokens").
StatusOr<std::string> ReadPrivateFile(const std::string& path, const std::string& flag);

}  // namespace ltsweep
