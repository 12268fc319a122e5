// Lease validation: the worker trusts nothing the coordinator hands it.
//
// Before a worker builds any path from a lease, writes its config or starts
// a trainer, ValidateLease() checks every value that reaches a file path or
// the trainer:
//   trial id      > 0 (it names <work_dir>/trial-<id>-a<attempt>)
//   attempt       >= 1
//   token         32 lower-case hex digits (store/lease_token.h)
//   config hash   64 lower-case hex digits (ResolvedConfigHash,
//                 common/config_hash.h); it names the checkpoint folder, so
//                 "../../etc" must never get that far
//   config JSON   at most max_config_bytes, a JSON object that resolves
//                 against the trial-config schema (common/config_schema.h:
//                 known keys, every number within its bounds)
//   data.root and data.cache_dir, when not empty: resolved (made absolute
//                 against the worker's current folder, normalised with
//                 std::filesystem::weakly_canonical, so symlinks that exist
//                 are followed) they must lie inside one of the allowed data
//                 roots. Empty values are the trainer's own defaults and need
//                 no check.
//
// Refusals and what they mean for the trial:
//   INVALID_ARGUMENT   the lease itself is malformed or the config is bad:
//                      every worker would refuse it (FAILED_PERMANENT)
//   PERMISSION_DENIED  a data folder this worker does not allow; another
//                      worker may allow it (RETRY_ELSEWHERE)
// The message names the field at fault ("lease config_hash: ...",
// "data.root: ...").
//
// Thread-safety: pure functions and a value type; DataRootPolicy is
// immutable after construction and safe to share between slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace ltsweep::worker {

// The values of a lease that reach paths or the trainer (the proto-free
// part of v1::LeaseResponse, so the checks build and fuzz without gRPC).
struct LeaseFields {
  int64_t trial_id = 0;
  int attempt = 0;
  std::string token;
  std::string config_hash;
  std::string config_json;
};

// Largest config_json a worker accepts by default (1 MiB; a resolved config
// is about 2 KiB).
inline constexpr size_t kDefaultMaxConfigBytes = size_t{1} << 20;

// The folders data.root and data.cache_dir must lie in.
class DataRootPolicy {
 public:
  // `roots`: folders as given (relative ones against the current folder);
  // each is resolved once here. An empty list allows no data folder at all
  // (only empty data.root / data.cache_dir pass).
  explicit DataRootPolicy(const std::vector<std::string>& roots);

  // OK when `path` (resolved) is one of the roots or inside one;
  // PERMISSION_DENIED naming `key` and the allowed roots otherwise;
  // INVALID_ARGUMENT for a path with a NUL byte or one that cannot be
  // resolved.
  Status Check(const std::string& key, const std::string& path) const;

  const std::vector<std::filesystem::path>& roots() const { return roots_; }

 private:
  std::vector<std::filesystem::path> roots_;
};

// The data folders a worker allows when --data-root is not given: the places
// the trainer looks by default, /usr/share/datasets (Debian's data set
// packages) and the cache default ($LTSWEEP_CACHE_DIR, else
// $HOME/.cache/ltsweep).
std::vector<std::string> DefaultDataRoots();

// "data.root" and "data.cache_dir" of every config, as given (empty ones
// left out, duplicates once), for `ltsweep run`: local mode allows the
// folders its own spec names.
std::vector<std::string> DataFoldersOfConfigs(const std::vector<std::string>& config_jsons);

// True for exactly `digits` lower-case hex digits.
bool IsLowerHex(const std::string& text, size_t digits);

// Checks the lease's ids, token, hash and config (see the header comment),
// then its data folders against `policy`. `max_config_bytes`: the size cap
// of config_json.
Status ValidateLease(const LeaseFields& lease, const DataRootPolicy& policy,
                     size_t max_config_bytes = kDefaultMaxConfigBytes);

// True when a refusal by ValidateLease may be lifted on another worker
// (a data folder this one does not allow): RETRY_ELSEWHERE rather than
// FAILED_PERMANENT.
bool RefusalMayRunElsewhere(const Status& refusal);

}  // namespace ltsweep::worker
