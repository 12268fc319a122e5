// Expansion of a parsed sweep spec into trial configs.
//
// grid:   the cartesian product of every parameter's values, in spec order
//         with the last parameter varying fastest (run_cap, when given,
//         keeps the first run_cap combinations), times the seeds.
// random: run_cap draws from std::mt19937_64 seeded with the spec's `seed`
//         (spec/search_random.h), times the seeds. The same spec always gives
//         the same trials.
// Seeds are the outer loop: all configurations with the first seed come
// first. Each trial is ResolveTrialConfig(base config + parameter values +
// train.seed) and its ResolvedConfigHash(); trials with the same hash collapse
// to the first one.
//
// Ownership: results are plain values. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config_schema.h"
#include "common/status.h"
#include "search/early_stop.h"
#include "spec/spec_limits.h"
#include "spec/sweep_spec.h"

namespace ltsweep::spec {

struct ExpandOptions {
  // A sweep that expands to more trials than this (before duplicates
  // collapse) is an error. Default 100,000.
  int64_t max_trials = 100'000;
  // Check that every data.root given in the spec exists (relative paths
  // against the current directory). Default true; a coordinator that parses
  // specs for workers on other machines may turn it off.
  bool check_data_paths = true;
};
using ValidateOptions = ExpandOptions;

struct ExpandedTrial {
  std::string hash;  // ResolvedConfigHash(config), 64 hex digits
  Json config;       // fully resolved trial config (every default written out)
  // What this trial varies: {"<parameter name>": value, ..., "train.seed": s}.
  Json params = Json::object();
};

struct ExpandedSweep {
  std::vector<ExpandedTrial> trials;  // unique by hash, in expansion order
  int64_t configurations = 0;         // parameter combinations (grid) or draws (random)
  int64_t candidates = 0;             // configurations x seeds, before collapsing
  int64_t collapsed = 0;              // candidates that duplicated an earlier trial
  // The resolved early_terminate rule (spec/early_terminate.h); nullopt: none.
  std::optional<search::EarlyStopRule> early_stop;
};

// Number of trials before duplicates collapse (configurations x seeds),
// saturating at INT64_MAX.
int64_t CountCandidates(const SweepSpec& spec);

// Running out of memory while expanding is RESOURCE_EXHAUSTED, for this
// spec only.
StatusOr<ExpandedSweep> ExpandSweep(const SweepSpec& spec, const ExpandOptions& options = {});

// Parses (held to `limits`) and expands `yaml_text` in one step: what
// `ltsweep validate` and a coordinator receiving a spec do.
StatusOr<ExpandedSweep> ValidateSweepText(const std::string& yaml_text, const std::string& file_name,
                                          const ValidateOptions& options = {}, const SpecLimits& limits = {});

// A short human-readable summary: method, trial count, each axis and its
// values, seeds, metric, attempts and resources.
std::string SummarizeSweep(const SweepSpec& spec, const ExpandedSweep& expanded);

}  // namespace ltsweep::spec
