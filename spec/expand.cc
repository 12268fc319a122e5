#include "spec/expand.h"

#include <filesystem>
#include <limits>
#include <new>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>

#include "common/config_hash.h"
#include "spec/early_terminate.h"
#include "spec/search_random.h"
#include "spec/yaml_util.h"

namespace ltsweep::spec {
namespace {

using internal::Brief;
using internal::SpecError;

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > kMaxInt / b) return kMaxInt;
  return a * b;
}

int64_t CountConfigurations(const SweepSpec& spec) {
  if (spec.method != SearchMethod::kGrid) return spec.run_cap.value_or(0);  // random draws, bayes trials
  int64_t n = 1;
  for (const auto& p : spec.parameters) n = SaturatingMul(n, static_cast<int64_t>(p.values.size()));
  if (spec.run_cap) n = std::min(n, *spec.run_cap);
  return n;
}

// One choice per parameter: the index of a value, or a drawn number.
struct Choice {
  int64_t index = -1;  // into ParamSpec::values; -1 for a drawn value
  Json drawn;
};
using Combination = std::vector<Choice>;

std::vector<Combination> GridCombinations(const SweepSpec& spec, int64_t count) {
  std::vector<Combination> out;
  out.reserve(static_cast<size_t>(count));
  std::vector<int64_t> idx(spec.parameters.size(), 0);
  for (int64_t c = 0; c < count; ++c) {
    Combination comb(spec.parameters.size());
    for (size_t i = 0; i < idx.size(); ++i) comb[i].index = idx[i];
    out.push_back(std::move(comb));
    // Odometer: the last parameter varies fastest.
    for (size_t i = idx.size(); i-- > 0;) {
      if (++idx[i] < static_cast<int64_t>(spec.parameters[i].values.size())) break;
      idx[i] = 0;
    }
  }
  return out;
}

std::vector<Combination> RandomCombinations(const SweepSpec& spec, int64_t count) {
  SearchRng rng(spec.search_seed);
  std::vector<Combination> out;
  out.reserve(static_cast<size_t>(count));
  for (int64_t c = 0; c < count; ++c) {
    Combination comb(spec.parameters.size());
    for (size_t i = 0; i < spec.parameters.size(); ++i) {
      const ParamSpec& p = spec.parameters[i];
      const ConfigKey* key = FindConfigKey(p.name);
      bool is_int = key != nullptr && key->type == ValueType::kInt;
      switch (p.distribution) {
        case Distribution::kValues:
          comb[i].index = static_cast<int64_t>(rng.Below(p.values.size()));
          break;
        case Distribution::kUniform:
          comb[i].drawn = rng.Uniform(p.min, p.max);
          break;
        case Distribution::kLogUniformValues:
          comb[i].drawn = rng.LogUniform(p.min, p.max);
          break;
        case Distribution::kIntUniform: {
          int64_t v = rng.IntUniform(static_cast<int64_t>(p.min), static_cast<int64_t>(p.max));
          comb[i].drawn = is_int ? Json(v) : Json(static_cast<double>(v));
          break;
        }
        case Distribution::kQUniform: {
          double v = rng.QUniform(p.min, p.max, p.q);
          comb[i].drawn = is_int ? Json(static_cast<int64_t>(v)) : Json(v);
          break;
        }
      }
    }
    out.push_back(std::move(comb));
  }
  return out;
}

Status CheckDataRoot(const std::string& file, int line, const std::string& path, const Json& root) {
  if (!root.is_string() || root.get<std::string>().empty()) return Status::Ok();
  std::error_code ec;
  if (!std::filesystem::is_directory(root.get<std::string>(), ec))
    return SpecError(file, line, path, fmt::format("folder '{}' does not exist", root.get<std::string>()));
  return Status::Ok();
}

Status CheckDataRoots(const SweepSpec& spec) {
  for (const auto& [path, line] : spec.base_config_lines) {
    if (path == "data.root")
      LTSWEEP_RETURN_IF_ERROR(CheckDataRoot(spec.file_name, line, "config.data.root", *GetPath(spec.base_config, path)));
  }
  for (const auto& p : spec.parameters) {
    for (size_t i = 0; i < p.values.size(); ++i) {
      const auto& v = p.values[i];
      for (size_t j = 0; j < v.sets.size(); ++j) {
        if (v.sets[j].first != "data.root") continue;
        std::string where = p.single_value ? fmt::format("parameters.{}.value", p.name)
                                           : fmt::format("parameters.{}.values[{}]", p.name, i);
        if (p.is_preset) where += ".data.root";
        LTSWEEP_RETURN_IF_ERROR(CheckDataRoot(spec.file_name, v.set_lines[j], where, v.sets[j].second));
      }
    }
  }
  return Status::Ok();
}

// The line that set `key` in this trial (a parameter value or the base
// config), or 0.
int LineSettingKey(const SweepSpec& spec, const Combination& comb, const std::string& key) {
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const ParamSpec& p = spec.parameters[i];
    if (comb[i].index < 0) {
      if (p.name == key) return p.line;
      continue;
    }
    const ParamValue& v = p.values[static_cast<size_t>(comb[i].index)];
    for (size_t j = 0; j < v.sets.size(); ++j)
      if (v.sets[j].first == key) return v.set_lines[j];
  }
  for (const auto& [path, line] : spec.base_config_lines)
    if (path == key) return line;
  return 0;
}

// The line to blame for a cross-key rule failure on `key` whose message is
// `what`: the line that set `key`, else one that set another key the message
// names (e.g. method.defer), else the config section, else line 1.
int LineOfKey(const SweepSpec& spec, const Combination& comb, const std::string& key, const std::string& what) {
  if (int line = LineSettingKey(spec, comb, key); line > 0) return line;
  for (const auto& k : TrialConfigSchema()) {
    if (what.find(k.path) == std::string::npos) continue;
    if (int line = LineSettingKey(spec, comb, k.path); line > 0) return line;
  }
  if (spec.config_line > 0) return spec.config_line;
  if (spec.parameters_line > 0) return spec.parameters_line;
  return 1;
}

}  // namespace

int64_t CountCandidates(const SweepSpec& spec) {
  return SaturatingMul(CountConfigurations(spec), static_cast<int64_t>(spec.seeds.size()));
}

namespace {

// ExpandSweep without the guard against running out of memory.
StatusOr<ExpandedSweep> ExpandUnchecked(const SweepSpec& spec, const ExpandOptions& options) {
  ExpandedSweep out;
  out.configurations = CountConfigurations(spec);
  bool seed_swept = false;
  for (const auto& p : spec.parameters) {
    if (p.name == "train.seed") seed_swept = true;
    for (const auto& v : p.values)
      for (const auto& [k, val] : v.sets)
        if (k == "train.seed") seed_swept = true;
  }
  const std::vector<int64_t> seeds = seed_swept ? std::vector<int64_t>{-1} : spec.seeds;
  out.candidates = SaturatingMul(out.configurations, static_cast<int64_t>(seeds.size()));
  if (out.candidates > options.max_trials) {
    bool random = spec.method == SearchMethod::kRandom;
    int line = random ? spec.run_cap_line : spec.parameters_line;
    std::string count = out.candidates == kMaxInt ? "more than 9.2e18" : std::to_string(out.candidates);
    return SpecError(spec.file_name, line > 0 ? line : 1, random ? "run_cap" : "parameters",
                     fmt::format("the sweep expands to {} trials ({} configurations x {} seeds), more than the cap "
                                 "of {}; narrow the sweep or raise the cap (--max-trials)",
                                 count, out.configurations, seeds.size(), options.max_trials));
  }
  if (options.check_data_paths) LTSWEEP_RETURN_IF_ERROR(CheckDataRoots(spec));

  const std::vector<Combination> combos = spec.method == SearchMethod::kGrid
                                              ? GridCombinations(spec, out.configurations)
                                              : RandomCombinations(spec, out.configurations);
  std::unordered_set<std::string> seen;
  out.trials.reserve(static_cast<size_t>(out.candidates));
  for (int64_t seed : seeds) {
    for (const Combination& comb : combos) {
      Json partial = spec.base_config;
      Json params = Json::object();
      for (size_t i = 0; i < spec.parameters.size(); ++i) {
        const ParamSpec& p = spec.parameters[i];
        if (comb[i].index < 0) {
          SetPath(partial, p.name, comb[i].drawn);
          params[p.name] = comb[i].drawn;
          continue;
        }
        const ParamValue& v = p.values[static_cast<size_t>(comb[i].index)];
        for (const auto& [k, val] : v.sets) SetPath(partial, k, val);
        params[p.name] = v.value;
      }
      if (seed >= 0) {
        SetPath(partial, "train.seed", seed);
        params["train.seed"] = seed;
      }
      auto resolved = ResolveTrialConfig(partial);
      if (!resolved.ok()) {
        const std::string& msg = resolved.status().message();
        size_t colon = msg.find(": ");
        std::string key = colon == std::string::npos ? "" : msg.substr(0, colon);
        std::string what = colon == std::string::npos ? msg : msg.substr(colon + 2);
        return SpecError(spec.file_name, LineOfKey(spec, comb, key, what), key.empty() ? "config" : key,
                         fmt::format("{} (in the trial {})", what, Brief(params)));
      }
      std::string hash = ResolvedConfigHash(*resolved);
      if (!seen.insert(hash).second) {
        ++out.collapsed;
        continue;
      }
      out.trials.push_back(ExpandedTrial{std::move(hash), std::move(resolved).value(), std::move(params)});
    }
  }
  return out;
}

}  // namespace

StatusOr<ExpandedSweep> ExpandSweep(const SweepSpec& spec, const ExpandOptions& options) {
  if (spec.method == SearchMethod::kBayes) {
    return SpecError(spec.file_name, spec.run_cap_line > 0 ? spec.run_cap_line : 1, "method",
                     "bayes search has no trials to list in advance: each one is chosen from the results so far "
                     "when a worker asks for it (`ltsweep validate` shows the search space; `ltsweep submit` "
                     "runs it)");
  }
  try {
    LTSWEEP_ASSIGN_OR_RETURN(ExpandedSweep out, ExpandUnchecked(spec, options));
    LTSWEEP_ASSIGN_OR_RETURN(out.early_stop, ResolveEarlyStop(spec, out.trials));
    return out;
  } catch (const std::bad_alloc&) {
    return internal::OutOfMemoryError(spec.file_name, "expanding");
  } catch (const std::length_error&) {
    return internal::OutOfMemoryError(spec.file_name, "expanding");
  }
}

StatusOr<ExpandedSweep> ValidateSweepText(const std::string& yaml_text, const std::string& file_name,
                                          const ValidateOptions& options, const SpecLimits& limits) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepSpec spec, ParseSweepSpec(yaml_text, file_name, limits));
  return ExpandSweep(spec, options);
}

std::string SummarizeSweep(const SweepSpec& spec, const ExpandedSweep& expanded) {
  std::string out = fmt::format("sweep '{}': {} search, {} trial{}\n", spec.name, SearchMethodName(spec.method),
                                expanded.trials.size(), expanded.trials.size() == 1 ? "" : "s");
  int64_t seeds = expanded.configurations > 0 ? expanded.candidates / expanded.configurations : 0;
  out += fmt::format("  {} configuration{} x {} seed{}", expanded.configurations,
                     expanded.configurations == 1 ? "" : "s", seeds, seeds == 1 ? "" : "s");
  if (expanded.collapsed > 0)
    out += fmt::format(", {} duplicate{} collapsed", expanded.collapsed, expanded.collapsed == 1 ? "" : "s");
  out += "\n";
  if (spec.parameters.empty()) out += "  parameters: none (one configuration: the base config)\n";
  for (const auto& p : spec.parameters) {
    std::string desc;
    if (p.is_preset) {
      // One line per preset: the keys it sets, in the order written.
      out += fmt::format("  {:<28} {} preset{}:\n", p.name, p.values.size(), p.values.size() == 1 ? "" : "s");
      for (const auto& v : p.values) {
        std::string sets;
        for (const auto& [k, val] : v.sets)
          sets += fmt::format("{}{}={}", sets.empty() ? "" : " ", k, val.is_string() ? val.get<std::string>() : val.dump());
        out += fmt::format("      {}\n", sets.empty() ? "(defaults)" : sets);
      }
      continue;
    }
    if (p.distribution == Distribution::kValues) {
      desc = fmt::format("{} value{}: ", p.values.size(), p.values.size() == 1 ? "" : "s");
      constexpr size_t kShown = 6;
      for (size_t i = 0; i < p.values.size() && i < kShown; ++i)
        desc += (i ? " | " : "") + Brief(p.values[i].value);
      if (p.values.size() > kShown) desc += fmt::format(" | ... (+{} more)", p.values.size() - kShown);
    } else {
      desc = fmt::format("{} [{}, {}]", DistributionName(p.distribution), p.min, p.max);
      if (p.distribution == Distribution::kQUniform) desc += fmt::format(" q={}", p.q);
    }
    out += fmt::format("  {:<28} {}\n", p.name, desc);
  }
  std::string seed_list;
  for (int64_t s : spec.seeds) seed_list += (seed_list.empty() ? "" : ", ") + std::to_string(s);
  out += fmt::format("  seeds: [{}]\n", seed_list);
  out += fmt::format("  metric: {} ({}); max_attempts {}, gpus {}, priority {}{}\n", spec.metric.name,
                     spec.metric.goal, spec.max_attempts, spec.gpus, spec.priority, spec.rerun ? ", rerun" : "");
  if (expanded.early_stop) out += "  early_terminate: " + search::DescribeRule(*expanded.early_stop) + "\n";
  return out;
}

}  // namespace ltsweep::spec
