// One logger for the daemons and the CLI: a line-oriented sink that each part
// receives as a LogFn (tests pass one that records lines), plus the standard
// sinks. Every line is prefixed with a UTC timestamp and the part's name:
//   2026-01-02T03:04:05.678Z coordinator: worker w-1 registered (2 slots)
//
// Thread-safety: the sinks made here may be called from any thread; lines
// are written whole (never interleaved).
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace ltsweep {

// Receives one log line without a trailing newline and without prefix.
using LogFn = std::function<void(const std::string& line)>;

// A sink that writes "<utc> <component>: <line>" to stderr.
LogFn StderrLog(std::string component);

// A sink that appends "<utc> <component>: <line>" to `path` (created if
// missing) and flushes each line. If the file cannot be opened, lines go to
// stderr instead, after one line saying why.
LogFn FileLog(const std::string& path, std::string component);

// "<utc> <component>: <line>", the format of both sinks.
std::string FormatLogLine(const std::string& component, const std::string& line);

}  // namespace ltsweep
