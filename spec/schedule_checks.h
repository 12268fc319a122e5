// Advisory checks of a sweep's trial configs: settings that are valid but
// probably not what the experimenter meant. They warn; they never refuse
// (ltsweep validate prints them on stderr and still exits 0).
//
// DeferralWarnings: the reference (kaidic/LDAM-DRW) switches deferred
// re-weighting on at the first learning-rate drop (epoch 160 of 200, where
// the rate falls 100x). DRW or DRS that starts while the rate is still at its
// base value trains the re-weighted loss at full speed, which is not the
// method of the paper (issue 15: the old quickstart did that, and LDAM+DRW
// came last). A trial config gets a warning when method.defer is drw or drs
// and method.drw_epoch is before the first epoch at which the learning rate
// drops (the first milestone with gamma < 1 for the reference, step and
// triangular schedules; never for constant and range_test), naming both
// epochs. Identical warnings of several trial configs are reported once,
// with the number of trial configs they concern.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config_schema.h"
#include "spec/expand.h"

namespace ltsweep::spec {

// The first epoch (0-based) at which the learning rate of a resolved trial
// config falls below its starting rate after warm-up; nullopt when it never
// drops.
std::optional<int64_t> FirstLrDropEpoch(const Json& resolved_config);

// The warning for one resolved trial config, or nullopt when there is none.
std::optional<std::string> DeferralWarning(const Json& resolved_config);

// One line per distinct warning over the sweep's trials, in order of first
// appearance, each ending "(N trial configs)" when N > 1.
std::vector<std::string> DeferralWarnings(const ExpandedSweep& expanded);

}  // namespace ltsweep::spec
