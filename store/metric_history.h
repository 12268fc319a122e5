// MergeAttempts: the one rule that turns the metric rows of a trial's
// attempts into one history (MetricHistory, store/types.h). The store's
// reader (Store::GetTrialHistory) and the CLI's coordinator client both use
// it, so a trial reads the same from the database file and over gRPC.
//
// Rule: attempts are taken oldest first; at each (epoch, name) of the
// scalars and per-class rows, and each (epoch, kind) of the payloads, the
// latest attempt's row replaces the earlier ones.
//
// Thread-safety: pure function.
#pragma once

#include <vector>

#include "store/types.h"

namespace ltsweep {

// `attempts`: the rows of each attempt of one trial (or of its source
// trial, when linked), oldest attempt first. The history's source_trial_id
// is the last entry's (0 when there is none).
MetricHistory MergeAttempts(const std::vector<TrialMetrics>& attempts);

}  // namespace ltsweep
