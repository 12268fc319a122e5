#include "common/utc_time.h"

#include <ctime>

#include <fmt/format.h>

namespace ltsweep {
namespace {

// strftime of the whole second that holds `unix_ms`, in UTC.
std::string StrftimeUtc(int64_t unix_ms, const char* format) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof(buf), format, &tm);
  return std::string(buf, n);
}

}  // namespace

std::string FormatUtcMillis(int64_t unix_ms) {
  return fmt::format("{}.{:03d}Z", StrftimeUtc(unix_ms, "%Y-%m-%dT%H:%M:%S"), static_cast<int>(unix_ms % 1000));
}

std::string FormatUtcSeconds(int64_t unix_ms) { return StrftimeUtc(unix_ms, "%Y-%m-%d %H:%M:%S"); }

std::string FormatUtcMinutes(int64_t unix_ms) { return StrftimeUtc(unix_ms, "%Y-%m-%d %H:%M UTC"); }

}  // namespace ltsweep
