// Trial logs: the limits shared by the worker that ships a trainer's stderr,
// the store that keeps it and the readers (`ltsweep logs`), and the small
// UTF-8 checks all three make.
//
// A trial log is the stderr of one attempt's trainer as one stream of valid
// UTF-8 (the worker replaces invalid bytes by U+FFFD before it ships them;
// worker/attempt_log.h). Offsets count bytes of that stream from 0. It
// travels in chunks of at most kTrialLogChunkBytes, each naming its offset,
// so a chunk sent twice is recognised and a chunk that starts past the end
// received so far says how many bytes were dropped in between. Of each
// attempt the worker and the store keep the last kTrialLogKeepBytes (the
// store: that much plus at most one chunk).
//
// Thread-safety: constants and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ltsweep {

// What is kept of each attempt's log: its last 1 MiB.
inline constexpr int64_t kTrialLogKeepBytes = int64_t{1} << 20;
// The largest chunk of a log in one report.
inline constexpr int64_t kTrialLogChunkBytes = int64_t{64} << 10;
// The most log chunks one ReportMetrics request may carry (more are refused).
inline constexpr int kTrialLogChunksPerReport = 32;
// Offsets past this are refused (a log of a petabyte is a bug).
inline constexpr int64_t kTrialLogMaxOffset = int64_t{1} << 50;
// The most text one read of a log returns (GetTrialLogs' max_bytes cap).
inline constexpr int64_t kTrialLogMaxReadBytes = int64_t{4} << 20;

namespace utf8 {

inline bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the UTF-8 sequence a lead byte starts (1..4), or 0 for a
// byte that cannot start one (a continuation byte, C0, C1, F5..FF).
inline int SequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// Whether the second byte `c1` is allowed after lead byte `c0` (no overlong
// forms, no surrogates, nothing past U+10FFFF).
inline bool SecondByteOk(unsigned char c0, unsigned char c1) {
  if (!IsContinuation(c1)) return false;
  if (c0 == 0xE0) return c1 >= 0xA0;
  if (c0 == 0xED) return c1 <= 0x9F;
  if (c0 == 0xF0) return c1 >= 0x90;
  if (c0 == 0xF4) return c1 <= 0x8F;
  return true;
}

// Whether `text` is valid UTF-8.
inline bool IsValid(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c0 = static_cast<unsigned char>(text[i]);
    const int len = SequenceLength(c0);
    if (len == 0 || i + static_cast<size_t>(len) > text.size()) return false;
    if (len >= 2 && !SecondByteOk(c0, static_cast<unsigned char>(text[i + 1]))) return false;
    for (int k = 2; k < len; ++k) {
      if (!IsContinuation(static_cast<unsigned char>(text[i + static_cast<size_t>(k)]))) return false;
    }
    i += static_cast<size_t>(len);
  }
  return true;
}

// The length of `bytes` without a trailing incomplete sequence that more
// bytes could still complete (at most 3 bytes held back): what a stream
// decoder may convert now.
inline size_t CompletePrefix(std::string_view bytes) {
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto c0 = static_cast<unsigned char>(bytes[n - back]);
    if (IsContinuation(c0)) continue;
    const int len = SequenceLength(c0);
    if (len <= static_cast<int>(back)) return n;  // complete (or not a lead byte)
    if (back >= 2 && !SecondByteOk(c0, static_cast<unsigned char>(bytes[n - back + 1]))) return n;
    for (size_t k = 2; k < back; ++k) {
      if (!IsContinuation(static_cast<unsigned char>(bytes[n - back + k]))) return n;
    }
    return n - back;
  }
  return n;
}

// The first character boundary at or after `pos` in valid UTF-8 `text`.
inline size_t NextBoundary(std::string_view text, size_t pos) {
  while (pos < text.size() && IsContinuation(static_cast<unsigned char>(text[pos]))) ++pos;
  return pos;
}

// The last character boundary at or before `pos` in valid UTF-8 `text`.
inline size_t PrevBoundary(std::string_view text, size_t pos) {
  if (pos >= text.size()) return text.size();
  while (pos > 0 && IsContinuation(static_cast<unsigned char>(text[pos]))) --pos;
  return pos;
}

}  // namespace utf8
}  // namespace ltsweep
