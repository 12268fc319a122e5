#include "proto/grpc_runtime.h"

#include <absl/synchronization/mutex.h>

namespace ltsweep {

void ConfigureGrpcRuntime() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

}  // namespace ltsweep
