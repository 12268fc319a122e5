// AttemptLog: the worker's copy of one attempt's trainer stderr, as the
// trial log the coordinator keeps (common/trial_logs.h): a stream of valid
// UTF-8 (invalid bytes become U+FFFD, worker/output_limits.h's ToValidUtf8;
// a character split across two reads is held back until it is complete),
// whose last keep_bytes (1 MiB) are kept in memory, handed out in chunks
// with byte offsets for the attempt's metric reports.
//
// Bounded: a trainer that floods stderr costs at most 2 x keep_bytes of
// memory here; bytes that fall out of the kept window before they were
// taken are skipped (the next chunk's offset leaves a gap the coordinator
// counts as dropped).
//
//   AttemptLog log;
//   log.Append(bytes_read_from_stderr);        // as they come
//   for (TextChunk& c : log.TakeChunks(512 << 10)) ... add to a report
//   log.Close();                               // the trainer exited
//
// Ownership: owns its buffers. Thread-safety: not thread-safe; used by the
// slot thread that reads the trainer's output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/trial_logs.h"

namespace ltsweep::worker {

// A piece of the log: valid UTF-8 text starting at byte `offset`.
struct TextChunk {
  int64_t offset = 0;
  std::string text;
};

class AttemptLog {
 public:
  explicit AttemptLog(int64_t keep_bytes = kTrialLogKeepBytes, int64_t chunk_bytes = kTrialLogChunkBytes);

  // Adds raw stderr bytes (any bytes).
  void Append(std::string_view bytes);
  // The stream ended: a held-back incomplete character is converted too.
  void Close();

  // The text not taken yet (from the kept window), oldest first, in chunks
  // of at most chunk_bytes cut at character boundaries, at most about
  // `max_bytes` in all (at least one chunk when anything is pending).
  std::vector<TextChunk> TakeChunks(int64_t max_bytes);

  // Bytes of text so far (the offset the next byte will have).
  int64_t end_offset() const { return end_; }
  // Bytes kept and not taken yet.
  int64_t pending_bytes() const;
  // Bytes that left the kept window before they were taken.
  int64_t skipped_bytes() const { return skipped_; }

 private:
  void AddText(const std::string& text);

  const int64_t keep_bytes_;
  const int64_t chunk_bytes_;
  std::string held_;     // raw bytes of an unfinished character (<= 3)
  std::string kept_;     // text ending at end_ (trimmed to keep_bytes_ when past twice that)
  int64_t end_ = 0;
  int64_t taken_ = 0;    // chunks were taken up to this offset
  int64_t skipped_ = 0;
};

}  // namespace ltsweep::worker
