// The check of a parsed YAML document against SpecLimits, run after
// yaml-cpp has loaded it and before anything converts it. Internal to spec/.
//
// yaml-cpp loads an alias (*name) as a second reference to the anchored
// node, so a 400-byte "billion laughs" document loads in microseconds; it is
// every later walk over it (YamlToJson, the parser's checks) that would
// visit its 10^9 nodes. CheckDocument walks the document once as they would,
// counting each node at every use of an alias, and stops at the first node
// past the budget. After it passes, every conversion of any part of the
// document is bounded by max_nodes and max_depth.
//
// It also refuses plain numbers beyond a double's range (1e400, 30,000
// digits), which would otherwise become infinity.
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "common/status.h"
#include "spec/spec_limits.h"

namespace ltsweep::spec::internal {

// OK, or the first problem found, an INVALID_ARGUMENT naming the key path:
// more than limits.max_nodes nodes, nesting deeper than limits.max_depth,
// or a number out of a double's range.
Status CheckDocument(const YAML::Node& root, const std::string& file, const SpecLimits& limits);

}  // namespace ltsweep::spec::internal
