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

#include <nlohmann/json.hpp>

#include "common/trainer_contract.h"

namespace ltsweep::trainer {

class EventWriter {
 public:
  // Borrows `out` (stdout by default); does not close it.
  explicit EventWriter(std::FILE* out = stdout) : out_(out) {}

  // Writes {"event": kind, ...fields} as one line and flushes.
  void Emit(const std::string& kind, nlohmann::json fields = nlohmann::json::object()) {
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
  std::mutex mu_;
};

}  // namespace ltsweep::trainer
