// Process-wide settings for programs that serve or call gRPC at high rates
// (the coordinator and worker daemons, the load benchmark).
#pragma once

namespace ltsweep::coordinator {

// Turns off abseil's mutex deadlock detection. Debian builds abseil without
// NDEBUG, which leaves the detection on: every absl::Mutex lock inside gRPC
// then records lock-order graphs, about 4% of the CPU of a busy client or
// server (measured with bench/coordinator_load under perf). Call once at the
// start of main(), before any thread starts.
void ConfigureGrpcRuntime();

}  // namespace ltsweep::coordinator
