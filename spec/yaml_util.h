// Internal helpers of spec/: YAML nodes to JSON values, line numbers, error
// messages in the "<file>:<line>: <key path>: <what>" form, and did-you-mean
// suggestions. Not part of the public API.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/config_schema.h"
#include "common/status.h"

namespace ltsweep::spec::internal {

// 1-based line of `node`, or `fallback` when the node carries no position.
int LineOf(const YAML::Node& node, int fallback);

// An INVALID_ARGUMENT status "<file>:<line>: <path>: <what>".
Status SpecError(const std::string& file, int line, std::string_view path, std::string_view what);

// RESOURCE_EXHAUSTED "<file>: out of memory while <doing>: ...".
Status OutOfMemoryError(const std::string& file, std::string_view doing);

// Converts a YAML node to JSON. Plain scalars are typed as YAML 1.2's core
// schema does (null, true/false, integers, floats including 1e-4, .inf and
// .nan; spec/yaml_scalar.h); quoted scalars stay strings. Mapping keys
// become strings. It recurses once per level and expands aliases: call it
// only on a document that passed CheckDocument (spec/document_check.h).
Json YamlToJson(const YAML::Node& node);

// True when the scalar was written in quotes (its type is then string).
bool IsQuoted(const YAML::Node& node);

// Up to three of `candidates` close to `word` by edit distance, best first.
std::vector<std::string> Suggest(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" when `suggestions` is empty.
std::string DidYouMean(const std::vector<std::string>& suggestions);

// A short rendering of a JSON value for messages.
std::string Brief(const Json& value);

}  // namespace ltsweep::spec::internal
