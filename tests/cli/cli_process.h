// Test helper for the CLI tests: runs the built `ltsweep` binary as a real
// process through the shell and captures its exit code, stdout and stderr.
#pragma once

#include <map>
#include <string>

namespace ltsweep::testing {

struct CliResult {
  int code = -1;
  std::string out, err;
};

// Single-quotes `s` for the shell.
std::string ShellQuote(const std::string& s);

// Runs `binary ARGS` (ARGS already quoted as needed) with extra environment
// variables, in `cwd` when given.
CliResult RunCli(const std::string& binary, const std::string& args,
                 const std::map<std::string, std::string>& env = {}, const std::string& cwd = "");

}  // namespace ltsweep::testing
