// Canonical JSON and the stable config hash that identifies a trial config.
//
// Two configs that mean the same trial hash the same: the config is first
// resolved against the schema (defaults written out, integers and numbers
// normalised, so `1e-4` and `0.0001` or `200` and `200.0` agree), then
// written with sorted keys, no whitespace and shortest round-trip numbers,
// then hashed with SHA-256. The coordinator runs identical hashes once.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/config_schema.h"
#include "common/status.h"

namespace ltsweep {

// Sorted keys, compact, shortest round-trip numbers.
std::string CanonicalJson(const Json& value);

// SHA-256 of arbitrary bytes as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view bytes);

// Resolves `config` (see ResolveTrialConfig) and hashes its canonical JSON.
StatusOr<std::string> TrialConfigHash(const Json& config);

// Hash of a config that is already resolved (no schema checks).
std::string ResolvedConfigHash(const Json& resolved);

}  // namespace ltsweep
