// Internal to spec/: the `stages:` half of the sweep-spec parser
// (spec/stages.h is the public API). Not part of the public API.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "common/config_schema.h"
#include "common/status.h"
#include "spec/sweep_spec.h"

namespace ltsweep::spec::internal {

// Parses one sweep-spec document without `stages:` (the plain parser).
using ParseRootFn = std::function<StatusOr<SweepSpec>(const YAML::Node&)>;

// `root` has `stages:`. Checks every stage (each parsed by `parse` as the
// base spec merged with the stage, `${stage.value}`s filled in) and returns
// stage `stage_index`'s spec with SweepSpec::stages set. `found`: the values
// found so far ({"<stage>": {"<value>": ...}}); nullptr: validation only,
// placeholders everywhere.
StatusOr<SweepSpec> ParseStaged(const YAML::Node& root, const std::string& file, int stage_index, const Json* found,
                                const ParseRootFn& parse);

}  // namespace ltsweep::spec::internal
