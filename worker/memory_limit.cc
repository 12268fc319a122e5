#include "worker/memory_limit.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace ltsweep::worker {

namespace {

constexpr uint64_t kMinLimit = uint64_t{16} << 20;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The multiplier of a unit suffix ("", "k", "m", "g", "t", with an optional
// "b" or "ib"); 0 for anything else.
uint64_t UnitFactor(std::string unit) {
  if (unit.size() >= 2 && unit.compare(unit.size() - 2, 2, "ib") == 0) {
    unit.resize(unit.size() - 2);
    if (unit.empty()) return 0;
  } else if (!unit.empty() && unit.back() == 'b') {
    unit.pop_back();
  }
  if (unit.empty()) return 1;
  if (unit.size() != 1) return 0;
  switch (unit[0]) {
    case 'k': return uint64_t{1} << 10;
    case 'm': return uint64_t{1} << 20;
    case 'g': return uint64_t{1} << 30;
    case 't': return uint64_t{1} << 40;
    default: return 0;
  }
}

}  // namespace

StatusOr<uint64_t> ParseMemoryLimit(const std::string& text) {
  const std::string t = Lower(text);
  size_t digits = 0;
  while (digits < t.size() && (std::isdigit(static_cast<unsigned char>(t[digits])) || t[digits] == '.')) ++digits;
  const uint64_t factor = UnitFactor(t.substr(digits));
  const std::string number = t.substr(0, digits);
  char* end = nullptr;
  const double value = number.empty() ? -1 : std::strtod(number.c_str(), &end);
  if (factor == 0 || number.empty() || end != number.c_str() + number.size() || !std::isfinite(value)) {
    return InvalidArgumentError(
        fmt::format("--memory-limit: \"{}\" is not a size (e.g. 8G, 512M, or bytes; 0 for none)", text));
  }
  const double bytes = std::floor(value * static_cast<double>(factor));
  if (bytes == 0) return uint64_t{0};
  if (bytes < static_cast<double>(kMinLimit) || bytes > 1.8e19) {
    return InvalidArgumentError(fmt::format("--memory-limit: {} is outside 16M .. 16E (0: no limit)", text));
  }
  return static_cast<uint64_t>(bytes);
}

std::string FormatMemoryLimit(uint64_t bytes) {
  static const struct { uint64_t factor; const char* unit; } kUnits[] = {
      {uint64_t{1} << 40, "T"}, {uint64_t{1} << 30, "G"}, {uint64_t{1} << 20, "M"}, {uint64_t{1} << 10, "K"}};
  for (const auto& u : kUnits) {
    if (bytes >= u.factor && bytes % u.factor == 0) return fmt::format("{}{}", bytes / u.factor, u.unit);
  }
  return std::to_string(bytes);
}

std::string MemoryLimitNote(uint64_t limit_bytes, const std::string& stderr_tail) {
  if (limit_bytes == 0) return "";
  const std::string tail = Lower(stderr_tail);
  for (const char* sign : {"bad_alloc", "cannot allocate memory", "can't allocate memory", "out of memory"}) {
    if (tail.find(sign) != std::string::npos) {
      return fmt::format("memory limit {} reached? ", FormatMemoryLimit(limit_bytes));
    }
  }
  return "";
}

}  // namespace ltsweep::worker
