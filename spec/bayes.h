// Bayesian search (`method: bayes`): the bridge between a parsed sweep spec
// and the TPE sampler (search/tpe.h).
//
// A bayes sweep's trials are not known in advance: the coordinator makes
// each one when a worker asks for a lease, from the results so far
// (coordinator/trial_suggester.h), up to run_cap trials. This file turns the
// spec's parameters into a search space (one dimension per parameter:
// `values` and presets are categorical, `uniform`, `log_uniform_values`,
// `int_uniform` and `q_uniform` keep their meaning), turns a point of that
// space into a trial config exactly as ExpandSweep would (base config +
// parameter values + train.seed, resolved and hashed), and says what a bayes
// sweep will do (`ltsweep validate`).
//
// Ownership: results are plain values. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "search/tpe.h"
#include "spec/expand.h"
#include "spec/sweep_spec.h"

namespace ltsweep::spec {

// The search space of a bayes spec, one dimension per parameter in spec
// order. INVALID_ARGUMENT naming the parameter when a dimension is unusable
// (a q_uniform range with no multiple of q).
StatusOr<search::SearchSpace> BayesSpace(const SweepSpec& spec);

// Random start-up trials before TPE takes over: min(10, max(2, run_cap / 4)).
int BayesStartupTrials(int64_t run_cap);

// The TPE settings of a bayes sweep: its `seed`, its start-up trials.
search::TpeOptions BayesTpeOptions(const SweepSpec& spec);

// The trial at `point` (one value per dimension of BayesSpace): resolved
// config, hash and params ({"<parameter>": value, ..., "train.seed": s}).
// INVALID_ARGUMENT ("<file>:<line>: <key>: ...") when that combination is
// not a valid trial (e.g. method.drw_epoch past train.epochs).
StatusOr<ExpandedTrial> BayesTrial(const SweepSpec& spec, const search::Point& point);

// `samples` configurations of a bayes spec drawn at random, never the same
// twice, each categorical value (and preset) among them: all valid trials,
// or the first error.
StatusOr<std::vector<ExpandedTrial>> BayesSampleTrials(const SweepSpec& spec, int samples = 64);

// What `ltsweep run` checks before it starts: ValidateSweepText for grid and
// random; for bayes the spec is parsed and checked like ValidateBayesSweep
// and the trials returned are BayesSampleTrials (not the trials that will
// run: those are made while the sweep runs).
StatusOr<ExpandedSweep> ValidateSweepTextOrSample(const std::string& yaml_text, const std::string& file_name,
                                                  const ValidateOptions& options = {});

// What `ltsweep validate` checks and prints for a bayes spec: the space is
// usable, `samples` points drawn from it (always including each categorical
// value once) make valid trials, data.root folders exist when
// options.check_data_paths; then the plan: run_cap, start-up trials, each
// dimension, seed, metric.
StatusOr<std::string> ValidateBayesSweep(const SweepSpec& spec, const ExpandOptions& options = {},
                                         int samples = 64);

}  // namespace ltsweep::spec
