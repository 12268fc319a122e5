#include "spec/bayes.h"

#include <algorithm>
#include <climits>
#include <filesystem>

#include <fmt/format.h>

#include "common/config_hash.h"
#include "spec/yaml_util.h"

namespace ltsweep::spec {
namespace {

using internal::Brief;
using internal::SpecError;

bool SweepsSeed(const SweepSpec& spec) {
  for (const auto& p : spec.parameters) {
    if (p.name == "train.seed") return true;
    for (const auto& v : p.values)
      for (const auto& [k, val] : v.sets)
        if (k == "train.seed") return true;
  }
  return false;
}

search::Dimension DimensionOf(const ParamSpec& p) {
  search::Dimension d;
  d.name = p.name;
  d.low = p.min;
  d.high = p.max;
  d.q = 1;
  switch (p.distribution) {
    case Distribution::kValues:
      d.kind = search::DimensionKind::kCategorical;
      d.choices = static_cast<int64_t>(p.values.size());
      break;
    case Distribution::kUniform: d.kind = search::DimensionKind::kUniform; break;
    case Distribution::kLogUniformValues: d.kind = search::DimensionKind::kLogUniform; break;
    case Distribution::kIntUniform: d.kind = search::DimensionKind::kIntUniform; break;
    case Distribution::kQUniform:
      d.kind = search::DimensionKind::kQUniform;
      d.q = p.q;
      break;
  }
  return d;
}

Status CheckFolder(const SweepSpec& spec, int line, const std::string& path, const Json& root) {
  if (!root.is_string() || root.get<std::string>().empty()) return Status::Ok();
  std::error_code ec;
  if (!std::filesystem::is_directory(root.get<std::string>(), ec))
    return SpecError(spec.file_name, line, path, fmt::format("folder '{}' does not exist", root.get<std::string>()));
  return Status::Ok();
}

// data.root of the base config and of every categorical value.
Status CheckDataRoots(const SweepSpec& spec) {
  for (const auto& [path, line] : spec.base_config_lines)
    if (path == "data.root")
      LTSWEEP_RETURN_IF_ERROR(CheckFolder(spec, line, "config.data.root", *GetPath(spec.base_config, path)));
  for (const auto& p : spec.parameters)
    for (size_t i = 0; i < p.values.size(); ++i)
      for (size_t j = 0; j < p.values[i].sets.size(); ++j)
        if (p.values[i].sets[j].first == "data.root")
          LTSWEEP_RETURN_IF_ERROR(CheckFolder(spec, p.values[i].set_lines[j],
                                              fmt::format("parameters.{}.values[{}]", p.name, i),
                                              p.values[i].sets[j].second));
  return Status::Ok();
}

std::string DescribeDimension(const ParamSpec& p) {
  if (p.distribution == Distribution::kValues) {
    std::string out = fmt::format("categorical, {} {}: ", p.values.size(), p.is_preset ? "presets" : "values");
    constexpr size_t kShown = 6;
    for (size_t i = 0; i < p.values.size() && i < kShown; ++i) out += (i ? " | " : "") + Brief(p.values[i].value);
    if (p.values.size() > kShown) out += fmt::format(" | ... (+{} more)", p.values.size() - kShown);
    return out;
  }
  std::string out = fmt::format("{} [{}, {}]", DistributionName(p.distribution), p.min, p.max);
  if (p.distribution == Distribution::kQUniform) out += fmt::format(" q={}", p.q);
  return out;
}

}  // namespace

StatusOr<search::SearchSpace> BayesSpace(const SweepSpec& spec) {
  search::SearchSpace space;
  for (const auto& p : spec.parameters) {
    search::Dimension d = DimensionOf(p);
    Status st = search::ValidateSpace({d});
    if (!st.ok()) return SpecError(spec.file_name, p.line, "parameters." + p.name, st.message());
    space.push_back(std::move(d));
  }
  if (space.empty())
    return SpecError(spec.file_name, spec.parameters_line > 0 ? spec.parameters_line : 1, "parameters",
                     "bayes search needs at least one parameter to search over");
  return space;
}

int BayesStartupTrials(int64_t run_cap) {
  return static_cast<int>(std::min<int64_t>(10, std::max<int64_t>(2, run_cap / 4)));
}

search::TpeOptions BayesTpeOptions(const SweepSpec& spec) {
  search::TpeOptions options;
  options.seed = spec.search_seed;
  options.n_startup_trials = BayesStartupTrials(spec.run_cap.value_or(0));
  return options;
}

StatusOr<ExpandedTrial> BayesTrial(const SweepSpec& spec, const search::Point& point) {
  if (point.size() != spec.parameters.size())
    return InvalidArgumentError(fmt::format("{}: a point of {} values for {} parameters", spec.file_name,
                                            point.size(), spec.parameters.size()));
  Json partial = spec.base_config;
  Json params = Json::object();
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const ParamSpec& p = spec.parameters[i];
    if (p.distribution == Distribution::kValues) {
      const auto index = static_cast<size_t>(std::clamp<double>(point[i], 0, static_cast<double>(p.values.size() - 1)));
      const ParamValue& v = p.values[index];
      for (const auto& [k, val] : v.sets) SetPath(partial, k, val);
      params[p.name] = v.value;
      continue;
    }
    const ConfigKey* key = FindConfigKey(p.name);
    const bool is_int = key != nullptr && key->type == ValueType::kInt;
    const Json value = is_int ? Json(static_cast<int64_t>(std::llround(point[i]))) : Json(point[i]);
    SetPath(partial, p.name, value);
    params[p.name] = value;
  }
  if (!SweepsSeed(spec)) {
    SetPath(partial, "train.seed", spec.seeds.front());
    params["train.seed"] = spec.seeds.front();
  }
  auto resolved = ResolveTrialConfig(partial);
  if (!resolved.ok()) {
    const std::string& msg = resolved.status().message();
    const size_t colon = msg.find(": ");
    const std::string key = colon == std::string::npos ? "config" : msg.substr(0, colon);
    const std::string what = colon == std::string::npos ? msg : msg.substr(colon + 2);
    const int line = spec.parameters_line > 0 ? spec.parameters_line : std::max(1, spec.config_line);
    return SpecError(spec.file_name, line, key, fmt::format("{} (in the trial {})", what, Brief(params)));
  }
  std::string hash = ResolvedConfigHash(*resolved);
  return ExpandedTrial{std::move(hash), std::move(resolved).value(), std::move(params)};
}

StatusOr<std::vector<ExpandedTrial>> BayesSampleTrials(const SweepSpec& spec, int samples) {
  LTSWEEP_ASSIGN_OR_RETURN(search::SearchSpace space, BayesSpace(spec));
  // Random points (never the same twice), each categorical value among them.
  search::TpeOptions random = BayesTpeOptions(spec);
  random.n_startup_trials = INT_MAX;
  search::TpeSampler sampler(space, random);
  std::vector<search::Point> drawn;
  std::vector<ExpandedTrial> trials;
  for (int s = 0; s < samples; ++s) {
    std::optional<search::Point> p = sampler.Suggest({}, drawn);
    if (!p) break;
    for (size_t i = 0; i < space.size(); ++i)
      if (space[i].kind == search::DimensionKind::kCategorical && s < space[i].choices) (*p)[i] = s;
    LTSWEEP_ASSIGN_OR_RETURN(ExpandedTrial trial, BayesTrial(spec, *p));
    trials.push_back(std::move(trial));
    drawn.push_back(std::move(*p));
  }
  return trials;
}

StatusOr<ExpandedSweep> ValidateSweepTextOrSample(const std::string& yaml_text, const std::string& file_name,
                                                  const ValidateOptions& options) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepSpec spec, ParseSweepSpec(yaml_text, file_name));
  if (spec.method != SearchMethod::kBayes) return ExpandSweep(spec, options);
  if (options.check_data_paths) LTSWEEP_RETURN_IF_ERROR(CheckDataRoots(spec));
  ExpandedSweep out;
  LTSWEEP_ASSIGN_OR_RETURN(out.trials, BayesSampleTrials(spec));
  out.configurations = out.candidates = static_cast<int64_t>(out.trials.size());
  return out;
}

StatusOr<std::string> ValidateBayesSweep(const SweepSpec& spec, const ExpandOptions& options, int samples) {
  LTSWEEP_ASSIGN_OR_RETURN(search::SearchSpace space, BayesSpace(spec));
  if (options.check_data_paths) LTSWEEP_RETURN_IF_ERROR(CheckDataRoots(spec));
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<ExpandedTrial> drawn, BayesSampleTrials(spec, samples));
  const int64_t cap = spec.run_cap.value_or(0);
  std::string out = fmt::format("sweep '{}': bayes search (TPE), up to {} trial{} (run_cap)\n", spec.name, cap,
                                cap == 1 ? "" : "s");
  out += fmt::format(
      "  trials are made one at a time when a worker asks for one, from the results so far: the first {} "
      "at random, then by TPE (trials still running count as bad results, so workers asking at once get "
      "different configs); no config runs twice\n",
      std::min<int64_t>(cap, BayesStartupTrials(cap)));
  if (std::optional<double> size = search::FiniteSize(space); size && *size < static_cast<double>(cap))
    out += fmt::format("  the space holds only {} distinct configurations: the sweep ends after {}\n", *size, *size);
  for (const auto& p : spec.parameters) out += fmt::format("  {:<28} {}\n", p.name, DescribeDimension(p));
  out += fmt::format("  seed: {} (same seed and same results in the same order: same trials)\n", spec.search_seed);
  out += fmt::format("  train.seed: {}\n", SweepsSeed(spec) ? "searched" : std::to_string(spec.seeds.front()));
  out += fmt::format("  metric: {} ({}); max_attempts {}, gpus {}, priority {}{}{}\n", spec.metric.name,
                     spec.metric.goal, spec.max_attempts, spec.gpus, spec.priority, spec.rerun ? ", rerun" : "",
                     spec.early_terminate.type == "none" ? "" : ", early_terminate " + spec.early_terminate.type);
  out += fmt::format("  checked: {} sampled configurations resolve to valid trials\n", drawn.size());
  return out;
}

}  // namespace ltsweep::spec
