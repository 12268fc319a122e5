#include "trainer/core/class_weights.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "trainer/core/config_value.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

// w normalised to sum to its size, in double.
std::vector<double> NormalizeToCount(const std::vector<double>& w) {
  double sum = 0;
  for (double v : w) sum += v;
  std::vector<double> out(w.size());
  for (size_t i = 0; i < w.size(); ++i) out[i] = w[i] / sum * static_cast<double>(w.size());
  return out;
}

std::vector<float> ToFloat(const std::vector<double>& w) { return std::vector<float>(w.begin(), w.end()); }

}  // namespace

BalanceKind ParseBalanceKind(const std::string& key, const std::string& value) {
  if (value == "none") return BalanceKind::kNone;
  if (value == "inverse") return BalanceKind::kInverse;
  if (value == "cb") return BalanceKind::kCb;
  throw ConfigError(fmt::format("{}: unknown value '{}'; expected none, inverse or cb", key, value));
}

std::vector<double> EffectiveNumberWeights(const std::vector<int64_t>& counts, double beta) {
  std::vector<double> w(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    double effective_num = 1.0 - std::pow(beta, static_cast<double>(counts[i]));
    w[i] = (1.0 - beta) / effective_num;
  }
  return w;
}

std::vector<float> ClassBalancedWeights(const std::vector<int64_t>& counts, double beta) {
  return ToFloat(NormalizeToCount(EffectiveNumberWeights(counts, beta)));
}

std::vector<float> InverseFrequencyWeights(const std::vector<int64_t>& counts) {
  std::vector<double> w(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] <= 0) throw ConfigError(fmt::format("inverse-frequency weights: class {} has no samples", i));
    w[i] = 1.0 / static_cast<double>(counts[i]);
  }
  return ToFloat(NormalizeToCount(w));
}

std::vector<double> ClassSamplingWeights(BalanceKind kind, const std::vector<int64_t>& counts, double beta) {
  switch (kind) {
    case BalanceKind::kCb:
      return EffectiveNumberWeights(counts, beta);
    case BalanceKind::kInverse: {
      std::vector<double> w(counts.size());
      for (size_t i = 0; i < counts.size(); ++i) w[i] = counts[i] > 0 ? 1.0 / static_cast<double>(counts[i]) : 0.0;
      return w;
    }
    case BalanceKind::kNone:
      break;
  }
  return std::vector<double>(counts.size(), 1.0);
}

std::vector<double> ExpectedClassShare(const std::vector<int64_t>& counts, const std::vector<double>& class_weights) {
  std::vector<double> share(counts.size());
  double total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    share[i] = static_cast<double>(counts[i]) * class_weights[i];
    total += share[i];
  }
  for (double& s : share) s /= total;
  return share;
}

std::vector<double> FitClassWeights(BalanceKind kind, const std::vector<int64_t>& counts, double beta) {
  switch (kind) {
    case BalanceKind::kCb:
      return NormalizeToCount(EffectiveNumberWeights(counts, beta));
    case BalanceKind::kInverse: {
      double n = 0;
      for (int64_t c : counts) n += static_cast<double>(c);
      const double classes = static_cast<double>(counts.size());
      std::vector<double> w(counts.size());
      for (size_t i = 0; i < counts.size(); ++i) w[i] = n / (classes * static_cast<double>(counts[i]));
      return w;
    }
    case BalanceKind::kNone:
      break;
  }
  return std::vector<double>(counts.size(), 1.0);
}

BalanceOptions BalanceOptions::FromConfig(const nlohmann::json& config) {
  BalanceOptions o;
  o.reweight = ParseBalanceKind("method.reweight", ConfigValue<std::string>(config, "method.reweight"));
  o.resample = ParseBalanceKind("method.resample", ConfigValue<std::string>(config, "method.resample"));
  o.defer = ConfigValue<std::string>(config, "method.defer");
  o.drw_epoch = ConfigValue<int>(config, "method.drw_epoch");
  o.cb_beta = ConfigValue<double>(config, "method.cb_beta");
  return o;
}

EpochBalance BalanceForEpoch(const BalanceOptions& o, const std::vector<int64_t>& counts, int epoch) {
  auto loss_weights = [&](BalanceKind kind) -> std::optional<std::vector<float>> {
    switch (kind) {
      case BalanceKind::kCb:
        return ClassBalancedWeights(counts, o.cb_beta);
      case BalanceKind::kInverse:
        return InverseFrequencyWeights(counts);
      case BalanceKind::kNone:
        break;
    }
    return std::nullopt;
  };
  auto sampling = [&](BalanceKind kind) -> std::optional<std::vector<double>> {
    if (kind == BalanceKind::kNone) return std::nullopt;
    return ClassSamplingWeights(kind, counts, o.cb_beta);
  };
  EpochBalance out;
  const bool deferred_on = epoch >= o.drw_epoch;
  if (o.defer == "drw") {
    if (deferred_on) out.class_weights = loss_weights(o.reweight == BalanceKind::kNone ? BalanceKind::kCb : o.reweight);
  } else {
    out.class_weights = loss_weights(o.reweight);
  }
  if (o.defer == "drs") {
    if (deferred_on) out.sampling_weights = sampling(o.resample == BalanceKind::kNone ? BalanceKind::kCb : o.resample);
  } else {
    out.sampling_weights = sampling(o.resample);
  }
  return out;
}

std::vector<double> PerSampleWeights(const std::vector<int32_t>& labels, const std::vector<double>& class_weights) {
  std::vector<double> w(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    int32_t l = labels[i];
    if (l < 0 || static_cast<size_t>(l) >= class_weights.size()) {
      throw ConfigError(fmt::format("sampling weights: label {} at position {} has no class weight", l, i));
    }
    w[i] = class_weights[l];
  }
  return w;
}

WeightedSampler::WeightedSampler(const std::vector<double>& weights) {
  if (weights.empty()) throw ConfigError("weighted sampler: no samples");
  cumulative_.resize(weights.size());
  double sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0) || !std::isfinite(weights[i])) {
      throw ConfigError(fmt::format("weighted sampler: weight {} of sample {} is negative or not finite", weights[i], i));
    }
    sum += weights[i];
    cumulative_[i] = sum;
  }
  if (!(sum > 0)) throw ConfigError("weighted sampler: all weights are zero");
}

std::vector<int64_t> WeightedSampler::Sample(int64_t n, std::mt19937_64& engine) const {
  std::vector<int64_t> out(static_cast<size_t>(std::max<int64_t>(n, 0)));
  const double total = cumulative_.back();
  for (auto& index : out) {
    // 53-bit uniform in [0, 1), portable across standard libraries.
    double u = static_cast<double>(engine() >> 11) * (1.0 / 9007199254740992.0);
    double target = u * total;
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), target);
    if (it == cumulative_.end()) --it;  // u * total rounded up to total
    size_t i = static_cast<size_t>(it - cumulative_.begin());
    while (i > 0 && cumulative_[i] == cumulative_[i - 1]) --i;  // never a zero-weight sample
    index = static_cast<int64_t>(i);
  }
  return out;
}

}  // namespace ltsweep::trainer
