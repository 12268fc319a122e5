// SpecLimits: how much a sweep spec may ask of the process that parses it.
//
// A spec is untrusted text: the coordinator parses whatever a client
// submits. Every limit below is checked before the work it bounds, so a
// hostile spec (a YAML alias bomb, a 30,000-digit number, 10,000-deep
// brackets, 400,000 seeds, a binary file) is refused in well under a second
// with a message naming the limit, and never crashes or exhausts the
// process. The defaults are far above what a real sweep needs.
//
// A spec past a limit is INVALID_ARGUMENT, like any other spec error (so
// `ltsweep validate` exits with 2), with these messages:
//   max_bytes   "<file>: the spec is N bytes, more than the limit of K KiB",
//               before any YAML parsing.
//   max_nodes   "<file>:<line>: <key>: the document expands to more than N
//               YAML nodes ...".
//   max_depth   "<file>:<line>: nested too deeply ..." before YAML parsing
//               (a quick count of brackets and indentation), or
//               "<file>:<line>: <key path>: nested deeper than the limit
//               of N levels" after it.
//   max_values  "<file>:<line>: seeds: 400000 seeds, more than the limit of
//               N" (also `parameters.<name>.values`).
// Running out of memory anyway is RESOURCE_EXHAUSTED, for that spec only.
// The number of trials a sweep expands to is capped separately, by
// ExpandOptions::max_trials (spec/expand.h).
//
// Ownership: a plain value. Thread-safety: safe to share read-only.
#pragma once

#include <cstdint>

namespace ltsweep::spec {

struct SpecLimits {
  // Largest spec text accepted, in bytes. Default 1024 KiB (the
  // coordinator's --max-spec-kb). yaml-cpp needs up to about 250 bytes of
  // memory per byte of input (a flat list of one-digit numbers), so this
  // also bounds the memory one spec can take while it is parsed.
  int64_t max_bytes = 1024 * 1024;

  // Most YAML nodes (scalars, keys, lists and mappings) the document may
  // hold once its aliases are expanded: an alias counts the nodes it refers
  // to again at each use, as converting it to trial configs would. Default
  // 1,000,000; a large real sweep has a few thousand.
  int64_t max_nodes = 1'000'000;

  // Deepest nesting of lists and mappings, the top-level mapping being
  // level 1. Default 64; a sweep spec needs about 6.
  int max_depth = 64;

  // Most entries of one list of values: `seeds:` and each parameter's
  // `values:`. Default 10,000.
  int64_t max_values = 10'000;
};

}  // namespace ltsweep::spec
