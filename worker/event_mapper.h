// Maps the trainer's JSON-line events (DESIGN.md, trainer contract) to the
// metric rows and payloads the worker reports to the coordinator:
//   epoch event: every numeric top-level field except "epoch" -> a scalar row
//     (epoch, name = key, value); every numeric array "per_class_<x>" -> one
//     row per class under name <x>; any other non-scalar field (e.g.
//     "confusion") -> a JSON payload of that epoch under its key.
//   start event: a payload "start" at epoch -1, and its runtime fields
//     (trainer contract: threads, blas, blas_threads, device) as `runtime`,
//     sent on the same report.
//   done event: a payload "done" at the last epoch seen (-1 when none).
//   checkpoint event: nothing to store (the worker flushes its batch).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "proto/worker_service.pb.h"

namespace ltsweep::worker {

enum class EventKind { kStart, kEpoch, kCheckpoint, kDone, kOther };

struct MappedEvent {
  EventKind kind = EventKind::kOther;
  int epoch = -1;  // the epoch of an epoch event
  std::vector<v1::MetricRow> rows;
  std::vector<v1::Payload> payloads;
  std::optional<v1::AttemptRuntime> runtime;  // start event only
};

// Parses one stdout line of the trainer. `last_epoch` is the last epoch seen
// so far (-1 when none), used to place the done payload. A line that is not
// a JSON object with a string "event" is an error (the worker logs it), and
// so is one nesting deeper than kMaxJsonDepth (worker/output_limits.h),
// refused before it is parsed. Error messages quote at most the first 80
// bytes of the line, escaped.
StatusOr<MappedEvent> MapTrainerLine(const std::string& line, int last_epoch);

}  // namespace ltsweep::worker
