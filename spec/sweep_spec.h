// Sweep specs: the YAML files users write to describe a hyperparameter sweep.
//
// The format follows the Weights & Biases sweep config (method, metric,
// parameters with value / values / distribution, run_cap, early_terminate)
// plus ltsweep's own keys (name, config, seeds, max_attempts, resources,
// priority, rerun, seed). docs/sweep-spec.md documents it with examples.
//
// ParseSweepSpec() reads and checks the YAML text (it never touches the
// file system, so the coordinator can parse specs it receives over gRPC);
// ExpandSweep() (spec/expand.h) turns a parsed spec into trial configs. Every
// error in the spec is an INVALID_ARGUMENT Status whose message reads
//   "<file>:<line>: <key path>: <what is wrong>"
// e.g. "sweep.yaml:12: parameters.train.lr.values[2]: expected a number".
//
// Ownership: SweepSpec is a plain value that owns all its data.
// Thread-safety: pure functions; SweepSpec values may be shared read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config_schema.h"
#include "common/status.h"
#include "spec/spec_limits.h"
#include "spec/stage_spec.h"

namespace ltsweep::spec {

// kBayes: TPE over the parameters, trials made while the sweep runs
// (spec/bayes.h); never expanded in advance.
enum class SearchMethod { kGrid, kRandom, kBayes };

// How one parameter produces values. kValues covers `value:` (one value),
// `values:` and `distribution: categorical`.
enum class Distribution { kValues, kUniform, kLogUniformValues, kIntUniform, kQUniform };

const char* SearchMethodName(SearchMethod m);
const char* DistributionName(Distribution d);

// One value a parameter can take, with the line it was written on. A value
// sets one trial-config key, or, for a preset parameter, several: then
// `sets` lists (dotted key, value) pairs, e.g. {method.loss: ldam,
// method.defer: drw}.
struct ParamValue {
  Json value;                                   // as written (scalar, list or object)
  std::vector<std::pair<std::string, Json>> sets;  // dotted key -> value it sets
  std::vector<int> set_lines;                   // line of each entry of `sets`
  int line = 0;
};

struct ParamSpec {
  std::string name;        // dotted trial-config path, or a preset's label
  bool is_preset = false;  // values are mappings of dotted keys
  int line = 0;            // line of the parameter's name
  Distribution distribution = Distribution::kValues;
  std::vector<ParamValue> values;  // kValues: the candidates (at least one)
  double min = 0, max = 0, q = 0;  // the continuous/integer distributions
  bool single_value = false;       // written as `value:`
};

struct MetricSpec {
  std::string name = "val_error";
  std::string goal = "minimize";  // minimize | maximize
  std::optional<double> target;
};

// W&B-style early termination (plus `median`), resolved into the rule the
// coordinator runs by ResolveEarlyStop (spec/early_terminate.h).
struct EarlyTerminateSpec {
  std::string type = "none";  // none | hyperband | median
  std::optional<int64_t> min_iter;
  std::optional<int64_t> max_iter;
  std::optional<int64_t> s;
  double eta = 3;
  bool strict = false;        // hyperband: compare the value at the rung, not the best so far
  bool respect_drw = true;    // the DRW/DRS guard
  int64_t drw_grace = 2;      // epochs after method.drw_epoch the guard lasts
  int line = 0;               // of the early_terminate key
};

struct SweepSpec {
  std::string file_name;  // for error messages, as given to ParseSweepSpec
  std::string name;       // default: the file's stem
  std::string description;
  SearchMethod method = SearchMethod::kGrid;  // default grid
  MetricSpec metric;
  std::vector<ParamSpec> parameters;  // in spec order
  std::optional<int64_t> run_cap;     // random: number of draws (required); grid: first N combinations;
                                      // bayes: number of trials (required)
  EarlyTerminateSpec early_terminate;
  Json base_config = Json::object();  // the `config:` section, flattened into a nested object
  std::vector<std::pair<std::string, int>> base_config_lines;  // dotted key -> line
  std::vector<int64_t> seeds{0};      // train.seed of each trial (default [0])
  bool seeds_given = false;
  int64_t max_attempts = 3;
  // resources.gpus: GPUs per trial, 0..64 (an integer). Default 0: CPU
  // slots, so a spec without `resources` runs on any CPU worker.
  int64_t gpus = 0;
  // resources.timeout / resources.no_progress_timeout in milliseconds (0:
  // none): the worker stops a trainer that runs longer, or prints no event
  // for longer, and ends the attempt as a retryable failure.
  int64_t timeout_ms = 0;
  int64_t no_progress_timeout_ms = 0;
  int64_t priority = 0;
  bool rerun = false;   // re-run configs whose hash already succeeded
  uint64_t search_seed = 0;  // `seed`: seeds random and bayes search

  // `stages:` (spec/stages.h): every stage, in order, and which of them this
  // spec is. A staged spec parses as its stage stage_index (0 from
  // ParseSweepSpec): base config merged with the stage's config, the stage's
  // parameters and seeds, earlier stages' found values filled in. Empty:
  // not a staged sweep.
  std::vector<StageSpec> stages;
  int stage_index = 0;

  // Lines of some keys, for errors found after parsing (0 when absent).
  int parameters_line = 0;
  int run_cap_line = 0;
  int config_line = 0;
  int seeds_line = 0;
};

// Parses and checks `yaml_text`. `file_name` is used in messages only.
// `yaml_text` may be hostile: it is held to `limits` (spec/spec_limits.h)
// before and while it is parsed. Past a limit it is INVALID_ARGUMENT like
// any other error in the spec; running out of memory while parsing is
// RESOURCE_EXHAUSTED.
StatusOr<SweepSpec> ParseSweepSpec(const std::string& yaml_text, const std::string& file_name,
                                   const SpecLimits& limits = {});

// Reads `path` (never more than limits.max_bytes + 1 bytes of it) and parses
// it. A missing file is NOT_FOUND.
StatusOr<SweepSpec> LoadSweepSpecFile(const std::string& path, const SpecLimits& limits = {});

}  // namespace ltsweep::spec
