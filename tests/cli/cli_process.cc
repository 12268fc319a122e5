#include "tests/cli/cli_process.h"

#include <sys/wait.h>

#include <cstdlib>

#include "tests/testing/test_util.h"

namespace ltsweep::testing {

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CliResult RunCli(const std::string& binary, const std::string& args, const std::map<std::string, std::string>& env,
                 const std::string& cwd) {
  TempDir tmp;
  std::string cmd;
  if (!cwd.empty()) cmd += "cd " + ShellQuote(cwd) + " && ";
  cmd += "env";
  for (const auto& [k, v] : env) cmd += " " + k + "=" + ShellQuote(v);
  cmd += " " + ShellQuote(binary) + " " + args + " </dev/null >" + ShellQuote(tmp.File("out")) + " 2>" +
         ShellQuote(tmp.File("err"));
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(tmp.File("out"));
  r.err = ReadFile(tmp.File("err"));
  return r;
}

}  // namespace ltsweep::testing
