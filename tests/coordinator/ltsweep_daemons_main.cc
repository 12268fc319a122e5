// ltsweep-daemons: the `coordinator` and `worker` subcommands of `ltsweep`
// (cli/cmd_daemons.cc) in a binary of their own, so the integration tests run
// the daemons as separate processes without the rest of the CLI.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ltsweep daemons (test build)", "ltsweep-daemons"};
  app.require_subcommand(1);
  ltsweep::cli::RegisterDaemonCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ltsweep::cli::CommandError& e) {
    std::cerr << "ltsweep: error: " << e.what() << "\n";
    return e.code();
  }
  return 0;
}
