// Class weights and class-aware sampling (ALGORITHMS.md §4): class-balanced
// (effective number) and inverse-frequency weights, per-sample resampling
// weights, the deferred DRW / DRS logic, and a weighted sampler that really
// resamples (the reference's Resample never reaches its DataLoader).
//
// Pure functions and an immutable sampler; thread-safe except that
// WeightedSampler::Sample advances the engine it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config_schema.h"

namespace ltsweep::trainer {

enum class BalanceKind { kNone, kInverse, kCb };

// "none" | "inverse" | "cb"; `key` (e.g. "method.reweight") names the config
// key in the ConfigError thrown for anything else.
BalanceKind ParseBalanceKind(const std::string& key, const std::string& value);

// Unnormalised CB weights (1 - beta) / (1 - beta^n_c), in double. beta = 0
// gives 1 for every class. These are also the per-sample resampling weights of
// the reference's ImbalancedDatasetSampler (golden resample_sampler).
std::vector<double> EffectiveNumberWeights(const std::vector<int64_t>& counts, double beta);

// CB loss weights: EffectiveNumberWeights normalised to sum to C, computed in
// double and then cast to float (as the reference). beta = 0 -> all ones.
std::vector<float> ClassBalancedWeights(const std::vector<int64_t>& counts, double beta);

// Inverse-frequency loss weights 1 / n_c, normalised to sum to C, cast to float.
std::vector<float> InverseFrequencyWeights(const std::vector<int64_t>& counts);

// Per-class sampling weight (each sample of class c is drawn with probability
// proportional to it): kCb -> EffectiveNumberWeights(beta); kInverse -> 1/n_c
// (exactly balanced draws); kNone -> 1 (uniform).
std::vector<double> ClassSamplingWeights(BalanceKind kind, const std::vector<int64_t>& counts, double beta);

// Expected share of draws per class: n_c w_c / sum_k n_k w_k.
std::vector<double> ExpectedClassShare(const std::vector<int64_t>& counts, const std::vector<double>& class_weights);

// Loss weights for a model fitted once on weighted samples (the classical
// text models), in double: kNone -> 1 each; kInverse -> n / (C n_c)
// (scikit-learn's "balanced"); kCb -> EffectiveNumberWeights normalised to sum
// to C (ClassBalancedWeights before its cast to float).
std::vector<double> FitClassWeights(BalanceKind kind, const std::vector<int64_t>& counts, double beta);

// The method.* keys that decide weighting and sampling per epoch. Fields start
// at the schema's defaults (common/config_schema.cc).
struct BalanceOptions {
  BalanceKind reweight = ParseBalanceKind("method.reweight", SchemaDefault<std::string>("method.reweight"));
  BalanceKind resample = ParseBalanceKind("method.resample", SchemaDefault<std::string>("method.resample"));
  std::string defer = SchemaDefault<std::string>("method.defer");  // none | drw | drs
  int drw_epoch = SchemaDefault<int>("method.drw_epoch");          // 0-based
  double cb_beta = SchemaDefault<double>("method.cb_beta");

  // Reads the keys from a resolved trial config (the schema has checked
  // them); throws ConfigError naming a missing key.
  static BalanceOptions FromConfig(const nlohmann::json& resolved_config);
};

// What applies in one epoch. nullopt = nothing: plain (unweighted mean) loss,
// resp. a plain shuffle of the training set.
struct EpochBalance {
  std::optional<std::vector<float>> class_weights;      // loss weights, sum C
  std::optional<std::vector<double>> sampling_weights;  // per-class sampling weights
};

// defer == none: reweight / resample apply from epoch 0 (kind none -> nullopt).
// defer == drw: loss weights are nullopt before drw_epoch; from drw_epoch on
//   the reweight kind applies, cb when reweight is none. resample applies
//   throughout (as with defer none).
// defer == drs: sampling is a plain shuffle before drw_epoch; from drw_epoch on
//   the resample kind applies, cb when resample is none. reweight applies
//   throughout.
EpochBalance BalanceForEpoch(const BalanceOptions& options, const std::vector<int64_t>& class_counts, int epoch);

// Expands per-class weights into per-sample weights for a label vector.
std::vector<double> PerSampleWeights(const std::vector<int32_t>& labels, const std::vector<double>& class_weights);

// Draws indices with replacement, each with probability proportional to its
// weight (torch.multinomial(weights, n, replacement=True) in distribution;
// the stream differs). O(n log N) by binary search on the cumulative sum.
class WeightedSampler {
 public:
  // Throws ConfigError when weights are empty, negative, not finite or all zero.
  explicit WeightedSampler(const std::vector<double>& per_sample_weights);
  // n indices in [0, size()), drawn from `engine` (deterministic for a seed).
  std::vector<int64_t> Sample(int64_t n, std::mt19937_64& engine) const;
  int64_t size() const { return static_cast<int64_t>(cumulative_.size()); }

 private:
  std::vector<double> cumulative_;
};

}  // namespace ltsweep::trainer
