// Shared helpers declared in cli/commands.h.
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "cli/commands.h"

namespace ltsweep::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kOutOfRange: return kExitUsage;
    default: return kExitFailure;
  }
}

void ThrowIfError(const Status& status) {
  if (!status.ok()) throw CommandError(ExitCodeFor(status), status.message());
}

StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text, const std::string& flag) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const std::string number = text.substr(0, i), unit = text.substr(i);
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument(number);
  } catch (...) {
    return InvalidArgumentError(fmt::format("{}: \"{}\" is not a duration (e.g. 500ms, 30s, 2m)", flag, text));
  }
  double ms;
  if (unit == "ms") ms = value;
  else if (unit == "s" || unit.empty()) ms = value * 1e3;
  else if (unit == "m") ms = value * 60e3;
  else if (unit == "h") ms = value * 3600e3;
  else return InvalidArgumentError(fmt::format("{}: unknown unit \"{}\" in \"{}\" (use ms, s, m or h)", flag, unit, text));
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

std::string FormatDuration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1'000 == 0) return fmt::format("{}s", ms / 1'000);
  return fmt::format("{}ms", ms);
}

}  // namespace ltsweep::cli
