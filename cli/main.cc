// ltsweep: the command line of the sweep system. Each command group registers
// its subcommands (cli/commands.h); main() parses, runs the chosen command
// and maps errors to exit codes (0 ok, 1 failure, 2 bad usage/invalid input).
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/daemon_commands.h"
#include "coordinator/grpc_runtime.h"

int main(int argc, char** argv) {
  ltsweep::coordinator::ConfigureGrpcRuntime();
  CLI::App app{"ltsweep: hyperparameter sweeps of imbalanced-learning experiments", "ltsweep"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n  ltsweep validate sweeps/quickstart.yaml\n  ltsweep run sweeps/quickstart.yaml --report report.html\n"
      "  ltsweep submit sweeps/quickstart.yaml --coordinator head:50051\n\n"
      "Run `ltsweep COMMAND --help` for a command's options.\n");

  ltsweep::cli::RegisterSpecCommands(app);
  // >>> Other command groups: call their Register*Commands(app) here. <<<
  ltsweep::cli::RegisterDaemonCommands(app);
  ltsweep::cli::RegisterClientCommands(app);
  ltsweep::cli::RegisterLocalCommands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "ltsweep: error: " << e.what() << " (see ltsweep --help)\n";
    return ltsweep::cli::kExitUsage;
  } catch (const ltsweep::cli::CommandError& e) {
    if (e.what()[0] != '\0') std::cerr << "ltsweep: error: " << e.what() << "\n";
    return e.code();
  } catch (const std::exception& e) {
    std::cerr << "ltsweep: error: " << e.what() << "\n";
    return ltsweep::cli::kExitFailure;
  }
  return ltsweep::cli::kExitOk;
}
