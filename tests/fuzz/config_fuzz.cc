// libFuzzer target for trial-config resolution and the worker's lease
// checks: any bytes as the config_json of a lease.
//   ResolveTrialConfig (common/config_schema.h) must answer OK or
//   INVALID_ARGUMENT with a message naming a key; a resolved config must
//   resolve to itself and hash the same both ways (common/config_hash.h).
//   ValidateLease (worker/lease_validation.h) must answer OK,
//   INVALID_ARGUMENT or PERMISSION_DENIED with a message, never touch more
//   than the file system's metadata, and agree with ResolveTrialConfig.
// Built by tests/fuzz/CMakeLists.txt (make fuzz).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/config_hash.h"
#include "common/config_schema.h"
#include "worker/lease_validation.h"

namespace {

using ltsweep::Json;
using ltsweep::StatusCode;

void Check(bool ok) {
  if (!ok) std::abort();
}

void FuzzResolve(const std::string& text) {
  const Json config = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return;
  auto resolved = ltsweep::ResolveTrialConfig(config);
  if (!resolved.ok()) {
    Check(resolved.status().code() == StatusCode::kInvalidArgument);
    Check(!resolved.status().message().empty());
    return;
  }
  auto again = ltsweep::ResolveTrialConfig(*resolved);
  Check(again.ok() && *again == *resolved);
  auto hash = ltsweep::TrialConfigHash(config);
  Check(hash.ok() && *hash == ltsweep::ResolvedConfigHash(*resolved));
  Check(ltsweep::worker::IsLowerHex(*hash, 64));
  // Through its canonical text, as the coordinator stores and hands it.
  const Json reread = Json::parse(ltsweep::CanonicalJson(*resolved), nullptr, false);
  Check(!reread.is_discarded() && ltsweep::ResolvedConfigHash(reread) == *hash);
}

void FuzzLease(const std::string& text) {
  static const ltsweep::worker::DataRootPolicy policy({"/nonexistent-ltsweep-fuzz-root"});
  ltsweep::worker::LeaseFields lease;
  lease.trial_id = 1;
  lease.attempt = 1;
  lease.token = std::string(32, 'a');
  lease.config_hash = std::string(64, 'b');
  lease.config_json = text;
  const ltsweep::Status s = ltsweep::worker::ValidateLease(lease, policy, 1 << 16);
  if (s.ok()) return;
  Check(s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kPermissionDenied);
  Check(!s.message().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  FuzzResolve(text);
  FuzzLease(text);
  return 0;
}
