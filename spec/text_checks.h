// Checks of a spec's raw text, run before yaml-cpp sees it: size, encoding
// (UTF-8, no NUL bytes) and a cheap estimate of how deeply it nests.
// Internal to spec/; ParseSweepSpec() calls CheckSpecText() first.
//
// Everything here is one linear pass without recursion, so it is safe on
// any input, however large or deep.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "spec/spec_limits.h"

namespace ltsweep::spec::internal {

// Byte offset of the first byte that is not part of well-formed UTF-8
// (overlong forms, surrogates and code points above U+10FFFF are not), or
// -1 when the whole text is UTF-8.
int64_t FindInvalidUtf8(std::string_view text);

struct NestingEstimate {
  int depth = 0;  // estimated nesting depth at the deepest point seen
  int line = 0;   // 1-based line of that point
};

// An estimate of the deepest nesting of lists and mappings: open flow
// brackets ([ and {, outside quotes and comments) plus the block
// indentation levels open at a line plus the compact entries ("- - x")
// that start it. It is meant to catch "[[[[...", "- - - - ..." and deep
// indentation cheaply, not to be exact: it may count a bracket inside a
// plain scalar, and may count a sequence written at its key's indentation
// once instead of twice. The scan stops as soon as the depth exceeds
// `stop_above` (0: never).
NestingEstimate EstimateNestingDepth(std::string_view text, int stop_above = 0);

// The checks, in this order, each an INVALID_ARGUMENT with a message naming
// the file (and the line and byte offset where there is one): more than
// limits.max_bytes; a NUL byte; invalid UTF-8 (e.g. Latin-1); an estimated
// nesting deeper than twice limits.max_depth (the estimate is rough; the
// exact depth is checked after parsing).
Status CheckSpecText(std::string_view text, const std::string& file, const SpecLimits& limits);

// INVALID_ARGUMENT "<file>: the spec is <size> bytes, more than ...".
// `size_known` false: the size is at least `size` (a file read only up to
// the limit).
Status SpecTooLargeError(const std::string& file, int64_t size, bool size_known, const SpecLimits& limits);

}  // namespace ltsweep::spec::internal
