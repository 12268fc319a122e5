// The spec's early_terminate section resolved into the rule the
// coordinator runs (search/early_stop.h): max_iter filled from the trials'
// train.epochs, the metric goal from `metric.goal`, and every value checked
// against what the trials will do (a first rung at or past train.epochs
// could never stop anything).
//
// Errors are INVALID_ARGUMENT "<file>:<line>: early_terminate.<key>: ...".
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <vector>

#include "common/status.h"
#include "search/early_stop.h"
#include "spec/sweep_spec.h"

namespace ltsweep::spec {

struct ExpandedTrial;

// nullopt when the spec has no early_terminate (or type none). max_iter
// defaults to the largest train.epochs among `trials`.
StatusOr<std::optional<search::EarlyStopRule>> ResolveEarlyStop(const SweepSpec& spec,
                                                                 const std::vector<ExpandedTrial>& trials);

}  // namespace ltsweep::spec
