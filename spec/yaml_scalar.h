// Typing of plain (unquoted) YAML scalars as YAML 1.2's core schema does:
// null, booleans, decimal integers, floats (1e-4, .5, 5.), .inf and .nan.
// Internal to spec/.
//
// The scanner is hand-written and linear in the length of the text, with no
// recursion and no allocation: a spec is untrusted, and std::regex recurses
// once per character (a 30,000-digit number overflowed the stack).
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "common/config_schema.h"

namespace ltsweep::spec::internal {

enum class PlainScalarType {
  kNull,     // ~, null, Null, NULL, or nothing
  kTrue,     // true, True, TRUE
  kFalse,    // false, False, FALSE
  kInt,      // [-+]?[0-9]+
  kFloat,    // [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?
  kInfNan,   // [-+]?.inf (any of inf Inf INF), .nan (nan NaN NAN)
  kString,   // anything else
};

PlainScalarType ClassifyPlainScalar(std::string_view s);

// True for a kInt or kFloat scalar whose magnitude is beyond what a double
// holds (e.g. 1e400, or 30,000 digits): converting it would give infinity.
// Numbers too small for a double are not out of range: they become 0.
bool IsNumberOutOfRange(std::string_view s);

// The JSON value of a plain scalar: null, a boolean, an int64 (a double when
// the integer does not fit), a double, or the text itself for .inf, .nan and
// strings (JSON holds no infinities: the schema then rejects them by type).
// An out-of-range number becomes a double infinity; callers refuse those
// first (see IsNumberOutOfRange).
Json PlainScalarToJson(std::string_view s);

}  // namespace ltsweep::spec::internal
