// Test helper: validates exposition text with Prometheus' own parser and
// linter (`promtool check metrics`, Debian package prometheus).
#pragma once

#include <optional>
#include <string>

namespace ltsweep::testing {

struct PromtoolVerdict {
  bool ok = false;
  std::string output;  // promtool's complaints, if any
};

// nullopt when promtool is not installed (the caller skips with a message).
std::optional<PromtoolVerdict> PromtoolCheckMetrics(const std::string& exposition);

}  // namespace ltsweep::testing
