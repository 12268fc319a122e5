// UTC timestamps as text: the one place that calls gmtime_r/strftime. Log
// lines, result tables and report footers format times through these.
//
// All take milliseconds since the Unix epoch (Clock::NowMillis(), the
// store's *_ms columns). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace ltsweep {

// "2026-01-02T03:04:05.678Z": log lines (common/log.h).
std::string FormatUtcMillis(int64_t unix_ms);

// "2026-01-02 03:04:05": times in result tables (started, finished).
std::string FormatUtcSeconds(int64_t unix_ms);

// "2026-01-02 03:04 UTC": "generated at" lines of reports.
std::string FormatUtcMinutes(int64_t unix_ms);

}  // namespace ltsweep
