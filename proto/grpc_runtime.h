// Process-wide gRPC settings for every program that serves or calls the
// ltsweep API at high rates: the `ltsweep` CLI (its coordinator and worker
// daemons) and bench/coordinator_load.
//
// Thread-safety: call once at the start of main(), before any thread starts.
#pragma once

namespace ltsweep {

// Turns off abseil's mutex deadlock detection. Debian builds abseil without
// NDEBUG, which leaves the detection on: every absl::Mutex lock inside gRPC
// then records lock-order graphs, about 4% of the CPU of a busy client or
// server (measured with bench/coordinator_load under perf).
void ConfigureGrpcRuntime();

}  // namespace ltsweep
