#include "spec/yaml_scalar.h"

#include <charconv>
#include <cstdint>
#include <limits>

namespace ltsweep::spec::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool OneOf(std::string_view s, std::string_view a, std::string_view b, std::string_view c) {
  return s == a || s == b || s == c;
}

// Skips a run of digits from `i`; returns how many there were.
size_t SkipDigits(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  return i - start;
}

// The parts of a number written [-+]?(int)(.frac)?([eE][-+]?exp)?.
struct NumberParts {
  bool negative = false;
  std::string_view int_digits, frac_digits, exp_digits;
  bool exp_negative = false;
  bool has_dot = false, has_exp = false;
};

// Splits `s` into NumberParts; false when it is not a number of the
// kInt/kFloat grammar.
bool SplitNumber(std::string_view s, NumberParts& p) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) p.negative = s[i++] == '-';
  size_t begin = i;
  p.int_digits = s.substr(begin, SkipDigits(s, i));
  if (i < s.size() && s[i] == '.') {
    p.has_dot = true;
    size_t frac_begin = ++i;
    p.frac_digits = s.substr(frac_begin, SkipDigits(s, i));
  }
  // ".": no digits at all; "1." is a float, ".5" is a float.
  if (p.int_digits.empty() && p.frac_digits.empty()) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    p.has_exp = true;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) p.exp_negative = s[i++] == '-';
    size_t exp_begin = i;
    p.exp_digits = s.substr(exp_begin, SkipDigits(s, i));
    if (p.exp_digits.empty()) return false;
  }
  return i == s.size();
}

// The decimal exponent of the leading significant digit (1234 -> 3,
// 0.05 -> -2), saturating far beyond any double's range; 0 when all
// digits are zero.
int64_t DecimalMagnitude(const NumberParts& p) {
  constexpr int64_t kCap = int64_t{1} << 40;
  int64_t exp = 0;
  for (char c : p.exp_digits) exp = std::min(kCap, exp * 10 + (c - '0'));
  if (p.exp_negative) exp = -exp;
  size_t lead = p.int_digits.find_first_not_of('0');
  if (lead != std::string_view::npos) return exp + static_cast<int64_t>(p.int_digits.size() - lead) - 1;
  size_t first = p.frac_digits.find_first_not_of('0');
  if (first != std::string_view::npos) return exp - static_cast<int64_t>(first) - 1;
  return 0;
}

// The text of `s` without a leading '+', which std::from_chars refuses.
std::string_view WithoutPlus(std::string_view s) { return !s.empty() && s[0] == '+' ? s.substr(1) : s; }

double ToDouble(std::string_view s) {
  std::string_view t = WithoutPlus(s);
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc::result_out_of_range) return v;
  NumberParts p;
  SplitNumber(s, p);
  // Too large: infinity; too small: zero, as strtod gives.
  double magnitude = DecimalMagnitude(p) > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  return p.negative ? -magnitude : magnitude;
}

}  // namespace

PlainScalarType ClassifyPlainScalar(std::string_view s) {
  if (s.empty() || s == "~" || OneOf(s, "null", "Null", "NULL")) return PlainScalarType::kNull;
  if (OneOf(s, "true", "True", "TRUE")) return PlainScalarType::kTrue;
  if (OneOf(s, "false", "False", "FALSE")) return PlainScalarType::kFalse;
  NumberParts p;
  if (SplitNumber(s, p)) return p.has_dot || p.has_exp ? PlainScalarType::kFloat : PlainScalarType::kInt;
  std::string_view unsigned_s = s[0] == '-' || s[0] == '+' ? s.substr(1) : s;
  if (OneOf(unsigned_s, ".inf", ".Inf", ".INF") || OneOf(s, ".nan", ".NaN", ".NAN"))
    return PlainScalarType::kInfNan;
  return PlainScalarType::kString;
}

bool IsNumberOutOfRange(std::string_view s) {
  PlainScalarType type = ClassifyPlainScalar(s);
  if (type != PlainScalarType::kInt && type != PlainScalarType::kFloat) return false;
  NumberParts p;
  SplitNumber(s, p);
  // Beyond 1e308 (DBL_MAX is 1.8e308) for certain; at 308 exactly, ask the
  // conversion.
  int64_t magnitude = DecimalMagnitude(p);
  if (magnitude < std::numeric_limits<double>::max_exponent10) return false;
  if (magnitude > std::numeric_limits<double>::max_exponent10) return true;
  std::string_view t = WithoutPlus(s);
  double v = 0;
  return std::from_chars(t.data(), t.data() + t.size(), v).ec == std::errc::result_out_of_range;
}

Json PlainScalarToJson(std::string_view s) {
  switch (ClassifyPlainScalar(s)) {
    case PlainScalarType::kNull: return nullptr;
    case PlainScalarType::kTrue: return true;
    case PlainScalarType::kFalse: return false;
    case PlainScalarType::kInt: {
      std::string_view t = WithoutPlus(s);
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec == std::errc()) return v;
      return ToDouble(s);  // beyond int64: a double, as before
    }
    case PlainScalarType::kFloat: return ToDouble(s);
    case PlainScalarType::kInfNan:  // JSON cannot hold inf or nan
    case PlainScalarType::kString: return std::string(s);
  }
  return std::string(s);
}

}  // namespace ltsweep::spec::internal
