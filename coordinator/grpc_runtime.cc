#include "coordinator/grpc_runtime.h"

#include <absl/synchronization/mutex.h>

namespace ltsweep::coordinator {

void ConfigureGrpcRuntime() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

}  // namespace ltsweep::coordinator
