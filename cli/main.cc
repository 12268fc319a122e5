// ltsweep: the command line of the sweep system. main() registers every
// command group (cli/commands.h: the one list), parses, runs the chosen
// command and maps errors to exit codes (0 ok, 1 failure, 2 bad usage or
// invalid input).
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "proto/grpc_runtime.h"

int main(int argc, char** argv) {
  ltsweep::ConfigureGrpcRuntime();
  CLI::App app{"ltsweep: hyperparameter sweeps of imbalanced-learning experiments", "ltsweep"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n  ltsweep validate sweeps/quickstart.yaml\n  ltsweep run sweeps/quickstart.yaml --report report.html\n"
      "  ltsweep submit sweeps/quickstart.yaml --coordinator head:50051\n\n"
      "Run `ltsweep COMMAND --help` for a command's options.\n");

  // Every command group, in the order of --help.
  namespace cli = ltsweep::cli;
  cli::RegisterSpecCommands(app);                                        // validate, expand
  cli::RegisterDaemonCommands(app);                                      // coordinator, worker
  cli::RegisterClientCommands(app);                                      // submit, cancel, workers, status, watch
  cli::RegisterResultsCommands(app, cli::CoordinatorResultsSources());  // sql, results, best, trial, curves, report
  cli::RegisterLocalCommands(app);                                       // run
  cli::RegisterLogCommands(app);                                         // logs
  cli::RegisterTokenCommands(app);                                       // token create

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "ltsweep: error: " << e.what() << " (see ltsweep --help)\n";
    return cli::kExitUsage;
  } catch (const cli::CommandError& e) {
    if (e.what()[0] != '\0') std::cerr << "ltsweep: error: " << e.what() << "\n";
    return e.code();
  } catch (const std::exception& e) {
    std::cerr << "ltsweep: error: " << e.what() << "\n";
    return cli::kExitFailure;
  }
  return cli::kExitOk;
}
