// Result commands of the `ltsweep` CLI that need no coordinator: they read
// the SQLite results database directly (read-only) when given --db PATH.
//
//   ltsweep sql "SELECT ..." [--db PATH] [--format table|csv|json|markdown]
//   ltsweep results [SWEEP] --db PATH [--metric M] [--group-by K,...] [--agg best|last|mean_std]
//                   [--columns per_class|shot] [--format table|csv|json|markdown]
//   ltsweep best [SWEEP] --db PATH          the best trial and its config
//   ltsweep trial ID --db PATH              config, attempts, per-epoch metrics
//   ltsweep curves TRIAL... --db PATH -o FILE.svg
//   ltsweep report [SWEEP] --db PATH -o report.html
//
// Without --db the commands use ResultsSources (the coordinator, wired by
// cli/cmd_client.cc: --coordinator ADDR or $LTSWEEP_COORDINATOR) when they are
// enabled; otherwise they read $LTSWEEP_DB or ./ltsweep.db.
// SWEEP defaults to the newest sweep of the database.
//
// Exit codes (cli/commands.h): 0 ok; 1 failure; 2 bad usage or invalid
// input, including SQL that does not parse or that the read-only guard
// refuses, an unknown sweep or trial, and a missing database file.
//
// Thread-safety: registration on the main thread before parsing.
#pragma once

#include <cstdint>
#include <functional>

#include <CLI/CLI.hpp>

#include "common/status.h"
#include "store/types.h"

namespace ltsweep::cli {

// How to read records when --db is not given (e.g. from the coordinator over
// gRPC). Either may be empty: then the commands fall back to the database
// file.
struct ResultsSources {
  std::function<StatusOr<SweepHistory>(int64_t sweep_id)> fetch_sweep;
  std::function<StatusOr<TrialHistory>(int64_t trial_id)> fetch_trial;
  // When set and answering false (e.g. no --coordinator given), the
  // fetchers are not used and the commands read the database file.
  std::function<bool()> enabled;
};

// Registers sql, results, best, trial, curves and report on `app`.
void RegisterResultsCommands(CLI::App& app, ResultsSources sources = {});

}  // namespace ltsweep::cli
