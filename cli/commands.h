// The `ltsweep` command line: how subcommands plug in.
//
// cli/main.cc builds the CLI::App and calls one Register*Commands() function
// per command group; each group lives in its own cli/cmd_<group>.cc. To add a
// group: write cli/cmd_<group>.cc (cli/CMakeLists.txt globs cli/*.cc), declare
// its registration function below in the marked section, and call it from
// main.cc in the marked section.
//
// Conventions every command follows (see docs/sweep-spec.md and DESIGN.md):
//   - exit 0 ok, 1 failure, 2 bad usage or invalid input (kExit* below);
//   - errors are one line on stderr, "ltsweep: error: ...": a command ends
//     with an error by throwing CommandError (main() prints it and exits);
//   - data goes to stdout, progress to stderr, so output pipes;
//   - every command's --help shows an example (add it with footer()).
//
// Thread-safety: registration happens on the main thread before parsing.
#pragma once

#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "common/status.h"

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

// The exit code for a failed Status: kExitUsage for INVALID_ARGUMENT,
// NOT_FOUND and OUT_OF_RANGE (the user's input is at fault), else
// kExitFailure.
int ExitCodeFor(const Status& status);

// Throws CommandError(ExitCodeFor(status), status.message()) when not OK.
void ThrowIfError(const Status& status);

// --- Command groups ------------------------------------------------------------
// spec/ commands (cli/cmd_spec.cc): validate, expand.
void RegisterSpecCommands(CLI::App& app);

// >>> Other command groups: declare their Register*Commands() here. <<<
// Commands against a coordinator (cli/cmd_client.cc): submit, cancel,
// workers, status, watch, and the results commands (cli/results_commands.h)
// with --coordinator ADDR fetching records over gRPC.
void RegisterClientCommands(CLI::App& app);

// Local mode (cli/cmd_run.cc): `ltsweep run SPEC`, an in-process coordinator
// and worker that run one sweep to the end.
void RegisterLocalCommands(CLI::App& app);

}  // namespace ltsweep::cli
