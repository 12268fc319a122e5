// Staged sweeps: `stages:` in a sweep spec runs the reproduction report's
// tuning scheme (§6.3.3, §6.3.5) as ordered stages. A stage is a grid of its
// own (the base config merged with the stage's `config`, its `parameters`
// and `seeds`); a stage that `find`s something runs one trial, whose curve a
// rule (search/stage_rules.h) reads once it has ended; later stages take the
// values found with `${stage.value}`. docs/sweep-spec.md, "Staged sweeps".
//
//   ParseSweepSpec(text)            -> stage 0's spec, every stage checked
//                                      (later stages with placeholder values)
//   ParseStageSpec(text, k, found)  -> stage k's spec with the found values
//   ExpandSweep(stage spec)         -> that stage's trials
//
// The coordinator keeps what each stage found (store/store_stages.cc) and
// makes stage k+1's trials from the spec text when stage k's have ended
// (coordinator/stage_runner.h).
//
// Ownership: plain values. Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/config_schema.h"
#include "common/status.h"
#include "spec/spec_limits.h"
#include "spec/sweep_spec.h"

namespace ltsweep::spec {

// The values a stage that finds `f` provides: lr_bounds {min_lr, max_lr};
// plateau {drw_epoch, epoch, milestones}.
const std::vector<std::string>& StageValueNames(StageFind f);

// A stand-in for `value` used to check later stages before anything is
// found (min_lr 0.01, max_lr 0.1, drw_epoch 1, epoch 0, milestones [1]).
Json PlaceholderStageValue(const std::string& value);

// Parses `yaml_text` (a staged spec) as its stage `stage_index` (0-based),
// filling each `${stage.value}` from `found` ({"<stage name>": {"<value>":
// ...}}). FAILED_PRECONDITION when a value it needs is not in `found`;
// INVALID_ARGUMENT for a spec error (as ParseSweepSpec), or for a found
// value the stage's config cannot take.
StatusOr<SweepSpec> ParseStageSpec(const std::string& yaml_text, const std::string& file_name, int stage_index,
                                   const Json& found, const SpecLimits& limits = {});

// The most trials any stage of a staged spec has (later stages counted
// with placeholder values): what `ltsweep run` sizes its slots for.
StatusOr<int64_t> LargestStageTrials(const std::string& yaml_text, const std::string& file_name,
                                     const SpecLimits& limits = {});

// What `ltsweep validate` prints for a staged spec: each stage, its trials
// (later stages counted with placeholder values), what it finds and by which
// rule, and which keys take found values.
StatusOr<std::string> DescribeStages(const std::string& yaml_text, const std::string& file_name,
                                     const SpecLimits& limits = {});

}  // namespace ltsweep::spec
