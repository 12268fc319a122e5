// Timestamps for log lines.
#pragma once

#include <cstdint>
#include <string>

namespace ltsweep {

// "2026-01-02T03:04:05.678Z" for `unix_ms` milliseconds since the Unix epoch.
std::string FormatUtcMillis(int64_t unix_ms);

}  // namespace ltsweep
