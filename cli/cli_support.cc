// Shared helpers declared in cli/commands.h.
#include "cli/commands.h"

namespace ltsweep::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kOutOfRange: return kExitUsage;
    default: return kExitFailure;
  }
}

void ThrowIfError(const Status& status) {
  if (!status.ok()) throw CommandError(ExitCodeFor(status), status.message());
}

}  // namespace ltsweep::cli
