// libFuzzer target for the worker's trainer-event parser: any bytes as one
// stdout line of a trainer, through MapTrainerLine (worker/event_mapper.h).
// A trainer is a separate, possibly crashing or buggy process: whatever it
// prints, the worker must answer OK or INVALID_ARGUMENT with a message, and
// never crash. The first byte picks the last epoch seen (-1 .. 254).
// Built by tests/fuzz/CMakeLists.txt (make fuzz).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "worker/event_mapper.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int last_epoch = static_cast<int>(data[0]) - 1;
  const std::string line(reinterpret_cast<const char*>(data + 1), size - 1);
  auto ev = ltsweep::worker::MapTrainerLine(line, last_epoch);
  if (!ev.ok()) {
    if (ev.status().code() != ltsweep::StatusCode::kInvalidArgument || ev.status().message().empty()) std::abort();
    return 0;
  }
  if (ev->kind == ltsweep::worker::EventKind::kEpoch && ev->epoch < 0) std::abort();
  // Row names are not checked: an epoch field named "" becomes a row with an
  // empty name, which the coordinator refuses row by row (rows_rejected).
  return 0;
}
