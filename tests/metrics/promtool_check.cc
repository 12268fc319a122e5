#include "tests/metrics/promtool_check.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "tests/testing/test_util.h"

namespace ltsweep::testing {

std::optional<PromtoolVerdict> PromtoolCheckMetrics(const std::string& exposition) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) return std::nullopt;
  TempDir dir;
  WriteFile(dir.path() / "metrics.txt", exposition);
  const std::string command = "promtool check metrics < '" + dir.File("metrics.txt") + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  PromtoolVerdict verdict;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) verdict.output.append(buf, n);
  const int status = pclose(pipe);
  verdict.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return verdict;
}

}  // namespace ltsweep::testing
