// The `ltsweep` command line: every command group and the helpers they share.
//
// cli/main.cc builds the CLI::App and registers every group below, in the
// order of `ltsweep --help`; each group lives in one cli/cmd_<group>.cc
// (cli/CMakeLists.txt globs cli/*.cc). To add a command to a group, add it to
// that group's Register*Commands(); to add a group, write cli/cmd_<group>.cc,
// declare its Register*Commands() in the list below and call it from
// cli/main.cc.
//
// Conventions every command follows (see docs/sweep-spec.md and DESIGN.md):
//   - exit 0 ok, 1 failure, 2 bad usage or invalid input (kExit* below);
//   - errors are one line on stderr, "ltsweep: error: ...": a command ends
//     with an error by throwing CommandError (main() prints it and exits);
//   - data goes to stdout, progress to stderr, so output pipes;
//   - every command's --help shows an example (add it with footer());
//   - a daemon flag overrides its options struct only when given, and its
//     --help shows the struct's default.
//
// Ownership: each group keeps its flag values in shared_ptrs captured by its
// callbacks, so they live as long as the CLI::App.
// Thread-safety: registration happens on the main thread before parsing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "common/status.h"
#include "store/types.h"

namespace ltsweep::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Thrown from a command's callback to end the program with `code`; main()
// prints "ltsweep: error: <what()>" on stderr unless the message is empty.
class CommandError : public std::runtime_error {
 public:
  CommandError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// --- Command groups, in the order of `ltsweep --help` -------------------------

// cli/cmd_spec.cc: validate, expand. Check a sweep spec and print its trials,
// without a coordinator.
void RegisterSpecCommands(CLI::App& app);

// cli/cmd_daemons.cc: the daemons, both running until SIGTERM or SIGINT.
//   ltsweep coordinator --db PATH [--listen ADDR] [--lease-ttl 30s] [--heartbeat 5s] ...
//     [--tls-cert F --tls-key F [--tls-client-ca F]] [--insecure] [--auth-tokens F]
//     defaults: coordinator::CoordinatorOptions; on a signal it stops serving.
//   ltsweep worker [--coordinator ADDR] (--gpus 0,1 | --slots N) [--trainer PATH] ...
//     on a signal it stops leasing, sends SIGTERM to its trainers (they
//     checkpoint), reports their attempts and exits.
void RegisterDaemonCommands(CLI::App& app);

// cli/cmd_client.cc: submit, cancel, workers, status, watch: commands against
// a coordinator (--coordinator ADDR, else $LTSWEEP_COORDINATOR, else
// localhost:50051), with the security flags of cli/security_flags.h
// (--token-file, --tls-ca, ...), as `ltsweep worker` has.
void RegisterClientCommands(CLI::App& app);

// How the results commands read records when --db is not given (e.g. from the
// coordinator over gRPC). Any member may be empty: then the commands read the
// database file.
struct ResultsSources {
  // `started_only`: the trials that never ran may be left out (results and
  // best count none of them).
  std::function<StatusOr<SweepHistory>(int64_t sweep_id, bool started_only)> fetch_sweep;
  std::function<StatusOr<TrialHistory>(int64_t trial_id)> fetch_trial;
  // When set and answering false (e.g. no --coordinator given), the
  // fetchers are not used and the commands read the database file.
  std::function<bool()> enabled;
  // Adds the options that choose the source (e.g. --coordinator) to each
  // command that reads records: results, best, trial, curves, report.
  std::function<void(CLI::App* cmd)> add_options;
};

// cli/cmd_client.cc: the coordinator as a source of records, used when
// --coordinator ADDR is given or $LTSWEEP_COORDINATOR is set.
ResultsSources CoordinatorResultsSources();

// cli/cmd_results.cc: the results commands, reading the SQLite results
// database (read-only) with --db PATH, else `sources` when enabled, else
// $LTSWEEP_DB or ./ltsweep.db. SWEEP defaults to the newest sweep.
//   ltsweep sql "SELECT ..." [--db PATH] [--format table|csv|json|markdown]
//   ltsweep results [SWEEP] [--metric M] [--group-by K,...] [--agg best|last|mean_std]
//                   [--columns per_class|shot] [--format table|csv|json|markdown]
//                   [--stage K | --all-stages]   (a staged sweep: report/stage_filter.h)
//   ltsweep best [SWEEP] [--stage K | --all-stages]   the best trial and its config
//   ltsweep trial ID                        config, attempts, per-epoch metrics
//   ltsweep curves TRIAL... -o FILE.svg
//   ltsweep report [SWEEP] -o report.html
// Exit 2 also for SQL that does not parse or that the read-only guard
// refuses, an unknown sweep or trial, and a missing database file.
void RegisterResultsCommands(CLI::App& app, ResultsSources sources = {});

// cli/cmd_logs.cc: `ltsweep logs TRIAL [--attempt N] [-f] [--db FILE |
// --coordinator ADDR ...]`: a trial's log (its trainer's stderr, the last
// 1 MiB of each attempt), following a running attempt with -f.
void RegisterLogCommands(CLI::App& app);

// cli/cmd_token.cc: `ltsweep token create --role ROLE --tokens FILE
// [--name NAME] [--out FILE]`: a bearer token with a role for a coordinator's
// --auth-tokens file, shown once (docs/security.md).
void RegisterTokenCommands(CLI::App& app);

// cli/cmd_run.cc: `ltsweep run SPEC`, local mode: an in-process coordinator
// and worker that run one sweep to the end.
void RegisterLocalCommands(CLI::App& app);

// --- Helpers (cli/cli_support.cc) ---------------------------------------------

// The exit code for a failed Status: kExitUsage for INVALID_ARGUMENT,
// NOT_FOUND and OUT_OF_RANGE (the user's input is at fault), else
// kExitFailure.
int ExitCodeFor(const Status& status);

// Throws CommandError(ExitCodeFor(status), status.message()) when not OK.
void ThrowIfError(const Status& status);

// "500ms", "30s", "2m", "1h", "1.5s", "30" (seconds) -> milliseconds.
// INVALID_ARGUMENT naming `flag` otherwise.
StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text, const std::string& flag);

// The shortest text ParseDuration reads back as `d`: "30s", "500ms", "2m",
// "1h", "1500ms". For showing defaults in --help.
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace ltsweep::cli
