// EventWriter: the trainer's stdout stream of JSON lines (the trainer contract,
// common/trainer_contract.h, names the events and their fields). One object
// per line, written and flushed as each event happens:
//   {"event":"start",...} {"event":"epoch","epoch":E,...}
//   {"event":"checkpoint",...} {"event":"done",...}
// Human-readable progress goes to stderr, never here.
//
// Thread-safety: Emit() may be called from any thread (serialised by a mutex).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/trainer_contract.h"

namespace ltsweep::trainer {

class EventWriter {
 public:
  // Borrows `out` (stdout by default); does not close it.
  explicit EventWriter(std::FILE* out = stdout) : out_(out) {}

  // Fields every start event carries on top of the track's own (main() sets
  // the trainer contract's runtime fields here: threads, blas, blas_threads,
  // device, so both tracks report them the same way). They win over a
  // track's field of the same name. Call before the trial starts.
  void SetStartFields(nlohmann::json fields) { start_fields_ = std::move(fields); }

  // Writes {"event": kind, ...fields} as one line and flushes.
  void Emit(const std::string& kind, nlohmann::json fields = nlohmann::json::object()) {
    if (kind == contract::kEventStart) fields.update(start_fields_);
    fields[contract::kFieldEvent] = kind;
    // Non-finite numbers are not JSON: error_handler replace keeps the line valid
    // and NaN/Inf become null.
    std::string line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::lock_guard<std::mutex> lock(mu_);
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  nlohmann::json start_fields_ = nlohmann::json::object();
  std::mutex mu_;
};

}  // namespace ltsweep::trainer
