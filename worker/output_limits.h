// Limits on what a trainer's output can make the worker hold, log or send:
// a trainer is untrusted text (a bug, a flood, a hostile program), and one
// bad line must neither take the worker down nor lose an attempt's finish.
//
//   kMaxLineBytes       a stdout line longer than this is dropped (one log
//                       note with its first kNoteBytes, escaped)
//   kMaxJsonDepth       a line nesting arrays/objects deeper than this is
//                       refused before it is parsed (nlohmann's DOM is
//                       recursive: destroying or dumping a deep value can
//                       exhaust the stack)
//   kMaxErrorBytes      the error text of a FinishAttempt request
//
// Every string the worker puts into a proto string field goes through
// ToValidUtf8: protobuf refuses to parse a proto3 string that is not valid
// UTF-8, so one bad byte of a trainer's stderr would make the coordinator
// refuse the finish again and again.
//
// Thread-safety: constants and pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ltsweep::worker {

inline constexpr size_t kMaxLineBytes = 1 << 20;  // 1 MiB
inline constexpr int kMaxJsonDepth = 32;
inline constexpr size_t kMaxErrorBytes = 4096;
inline constexpr size_t kNoteBytes = 80;

// `text` with every byte sequence that is not valid UTF-8 (stray
// continuation bytes, truncated or overlong sequences, surrogates, > U+10FFFF)
// replaced by U+FFFD.
std::string ToValidUtf8(std::string_view text);

// At most `max_bytes` of valid UTF-8 `text`, cut at a character boundary.
// keep_end: keep the end instead of the beginning (a log tail).
std::string TruncateUtf8(std::string_view text, size_t max_bytes, bool keep_end = false);

// Valid UTF-8 `text` cut to at most `max_bytes` by dropping its middle: the
// first quarter and the end are kept, joined by " ... " (an error text: the
// reason comes first, the last words of the trainer's stderr last).
std::string ElideMiddleUtf8(std::string_view text, size_t max_bytes);

// The first `max_bytes` of `bytes` for a log line: printable ASCII as is,
// everything else as \xNN (\n, \t as such), "..." appended when cut.
std::string EscapeForLog(std::string_view bytes, size_t max_bytes = kNoteBytes);

// True when `json` nests arrays or objects deeper than `max_depth` (brackets
// inside strings do not count). Linear, no recursion, no allocation.
bool JsonNestsDeeperThan(std::string_view json, int max_depth);

}  // namespace ltsweep::worker
