// One stage of a staged sweep (`stages:` in a sweep spec): the reproduction
// report's tuning scheme as ordered sweeps whose results feed the next
// (docs/sweep-spec.md, "Staged sweeps"). Parsed by ParseSweepSpec together
// with the rest of the spec; spec/stages.h makes a stage's trials once the
// stages before it have found their values.
//
// Ownership: plain values. Thread-safety: none needed (values).
#pragma once

#include <string>
#include <vector>

#include "search/stage_rules.h"

namespace ltsweep::spec {

// What a stage finds from its one trial's curve for later stages.
enum class StageFind {
  kNothing,   // a stage that only runs (the last one)
  kLrBounds,  // find: lr_bounds -> min_lr, max_lr (search::FindLrBounds)
  kPlateau,   // find: plateau -> drw_epoch, epoch, milestones (search::FindPlateau)
};

const char* StageFindName(StageFind f);  // "", "lr_bounds", "plateau"

// A `${stage.value}` in a stage's config or parameters.
struct StageRef {
  std::string stage;  // the earlier stage's name
  std::string value;  // one of the values that stage finds
  std::string where;  // the key path it fills, e.g. config.train.lr_schedule.max_lr
  int line = 0;
};

struct StageSpec {
  std::string name;
  StageFind find = StageFind::kNothing;
  search::LrBoundsOptions lr_bounds;  // find: lr_bounds (`rule:` overrides)
  search::PlateauOptions plateau;     // find: plateau (`rule:` overrides)
  std::vector<StageRef> refs;         // what it takes from earlier stages
  int line = 0;
};

}  // namespace ltsweep::spec
