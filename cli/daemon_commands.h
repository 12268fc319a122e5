// The daemon subcommands of `ltsweep` (cli/cmd_daemons.cc):
//
//   ltsweep coordinator --db PATH --listen ADDR [--lease-ttl 30s] [--heartbeat 5s]
//   ltsweep worker [--coordinator ADDR] (--gpus 0,1 | --slots N) [--trainer PATH]
//                  [--work-dir DIR] [--checkpoint-root DIR] [--grace 30s]
//
// Both run until SIGTERM or SIGINT. The coordinator then stops serving; the
// worker stops leasing, sends SIGTERM to its trainers (they checkpoint),
// reports their attempts and exits. Durations accept ms, s, m and h suffixes
// (a bare number is seconds).
//
// Thread-safety: registration happens on the main thread before parsing.
#pragma once

#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

#include "common/status.h"

namespace ltsweep::cli {

// Adds `coordinator` and `worker` to `app`. Their callbacks throw
// CommandError (cli/commands.h) on failure.
void RegisterDaemonCommands(CLI::App& app);

// "500ms", "30s", "2m", "1h", "1.5s", "30" (seconds) -> milliseconds.
// INVALID_ARGUMENT naming `flag` otherwise.
StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text, const std::string& flag);

}  // namespace ltsweep::cli
