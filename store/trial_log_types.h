// The record types of trial logs (an attempt's trainer stderr, see
// common/trial_logs.h for the stream, its offsets and its limits): the
// chunks a worker reports and what a reader gets back (Store::GetTrialLogs).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ltsweep {

// One piece of an attempt's log: valid UTF-8 `text` starting at byte
// `offset` of the log. Sent again, a chunk changes nothing; a chunk that
// starts past the end received so far leaves the bytes in between dropped.
struct LogChunk {
  int64_t offset = 0;
  std::string text;
};

struct TrialLogRequest {
  int64_t trial_id = 0;
  // nullopt: the trial's latest attempt (of its source, for a linked trial).
  std::optional<int> attempt;
  // Return the log from this byte on (0: from its start; the previous
  // answer's next_offset: only what is new).
  int64_t from_offset = 0;
  // At most about this many bytes of text (cut at a character boundary);
  // 1 .. kTrialLogMaxReadBytes.
  int64_t max_bytes = int64_t{1} << 20;
};

struct TrialLog {
  int64_t trial_id = 0;         // the trial asked for
  int64_t source_trial_id = 0;  // the trial whose log this is (differs when linked)
  int attempt = 0;              // 0: the trial has no attempt yet
  std::string attempt_state;    // "running", "succeeded", "failed", ... ("" without attempt)
  // The attempt has ended: its log is complete (nothing more will come).
  bool finished = false;
  // The text from `from_offset` on (valid UTF-8), and where the next read
  // starts (`from_offset` + bytes returned + bytes dropped in between).
  std::string text;
  int64_t from_offset = 0;
  int64_t next_offset = 0;
  // Bytes between from_offset and next_offset that are gone (past the
  // kTrialLogKeepBytes bound, or skipped by the worker): not in `text`.
  int64_t dropped_bytes = 0;
  // The whole log so far: bytes received (its end offset) and bytes kept.
  int64_t end_offset = 0;
  int64_t kept_bytes = 0;
};

}  // namespace ltsweep
