// ParseSweepSpec: YAML text -> SweepSpec, with every check that needs only
// the text (types, unknown keys, ranges, schema of every parameter value).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "spec/document_check.h"
#include "spec/stage_parser.h"
#include "spec/stages.h"
#include "spec/sweep_spec.h"
#include "spec/text_checks.h"
#include "spec/yaml_util.h"

namespace ltsweep::spec {
namespace {

using internal::Brief;
using internal::DidYouMean;
using internal::LineOf;
using internal::SpecError;
using internal::Suggest;
using internal::YamlToJson;

const std::vector<std::string> kTopKeys = {"name",   "description", "method",  "metric",       "parameters",
                                           "run_cap", "early_terminate", "config", "seeds", "max_attempts",
                                           "resources", "priority", "rerun", "seed", "stages"};
const std::vector<std::string> kParamKeys = {"value", "values", "distribution", "min", "max", "q", "parameters"};
const std::vector<std::string> kDistributions = {"categorical", "uniform", "log_uniform_values", "int_uniform",
                                                 "q_uniform"};

bool IsIntegralJson(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return true;
  if (v.is_number_float()) {
    double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

// Splits a schema message "train.lr_schedule.milestones[1]: below ..." for
// key `key_path` into ("[1]", "below ...").
std::pair<std::string, std::string> SplitSchemaMessage(const std::string& msg, const std::string& key_path) {
  if (msg.compare(0, key_path.size(), key_path) == 0) {
    std::string rest = msg.substr(key_path.size());
    size_t colon = rest.find(": ");
    if (colon != std::string::npos) return {rest.substr(0, colon), rest.substr(colon + 2)};
  }
  return {"", msg};
}

class Parser {
 public:
  Parser(std::string file, const SpecLimits& limits) : file_(std::move(file)), limits_(limits) {}

  StatusOr<SweepSpec> Parse(const YAML::Node& root);

 private:
  Status Error(const YAML::Node& node, int fallback, std::string_view path, std::string_view what) const {
    return SpecError(file_, LineOf(node, fallback), path, what);
  }
  Status Error(int line, std::string_view path, std::string_view what) const {
    return SpecError(file_, line, path, what);
  }

  // Unknown and duplicate keys of a mapping.
  Status CheckKeys(const YAML::Node& map, const std::string& path, const std::vector<std::string>& allowed,
                   const std::string& hint = "") const;
  Status CheckMap(const YAML::Node& node, int fallback, const std::string& path) const {
    if (!node.IsMap()) return Error(node, fallback, path, "expected a mapping");
    return Status::Ok();
  }

  StatusOr<int64_t> Int(const YAML::Node& node, int fallback, const std::string& path, double min, double max) const;
  StatusOr<double> Number(const YAML::Node& node, int fallback, const std::string& path) const;
  StatusOr<bool> Bool(const YAML::Node& node, int fallback, const std::string& path) const;
  StatusOr<std::string> String(const YAML::Node& node, int fallback, const std::string& path) const;
  // A duration ("90s", "10m", "2h", "1h30m", "500ms", "1d"; 0 for none) in
  // milliseconds.
  StatusOr<int64_t> DurationMs(const YAML::Node& node, int fallback, const std::string& path) const;

  Status ParseMetric(const YAML::Node& node, int line);
  Status ParseEarlyTerminate(const YAML::Node& node, int line);
  Status ParseResources(const YAML::Node& node, int line);
  Status ParseSeeds(const YAML::Node& node, int line);
  Status ParseConfig(const YAML::Node& node, const std::string& prefix, int line);
  Status ParseParameters(const YAML::Node& node, const std::string& prefix, int line);
  Status ParseParam(const std::string& name, int name_line, const YAML::Node& node);
  // A parameter given by `value:` or `values:`; `key` is null for a preset.
  Status ParseParamValues(ParamSpec& param, const ConfigKey* key, const YAML::Node& node);
  // A parameter drawn from distribution `dist_name` (not categorical).
  Status ParseParamDistribution(ParamSpec& param, const ConfigKey* key, const std::string& dist_name,
                                const YAML::Node& node);
  // Fills `pv.sets` from a preset mapping; `prefix` is the dotted path inside
  // the mapping so far; `keys_set` holds the keys pv.sets already has.
  Status ParsePresetValue(const std::string& param, const YAML::Node& node, const std::string& prefix,
                          const std::string& path, ParamValue& pv, std::unordered_set<std::string>& keys_set);
  // Integer draws (int_uniform; q_uniform on an integer key) go through
  // int64: their min, max and q must be integers a double holds exactly.
  Status CheckIntegerDrawBounds(const ParamSpec& param, const ConfigKey* key, const YAML::Node& node) const;
  // INVALID_ARGUMENT when `list` has more than limits_.max_values entries.
  Status CheckValueCount(const YAML::Node& list, int fallback, const std::string& path, const char* what) const;
  Status CrossChecks();
  // method: bayes needs run_cap and one train.seed per trial.
  Status BayesChecks() const;

  std::string file_;
  const SpecLimits& limits_;
  SweepSpec spec_;
  std::unordered_map<std::string, int> param_lines_;  // parameter name -> line
  int method_line_ = 0;
};

Status Parser::CheckIntegerDrawBounds(const ParamSpec& param, const ConfigKey* key, const YAML::Node& node) const {
  const bool integer_draws = param.distribution == Distribution::kIntUniform ||
                             (param.distribution == Distribution::kQUniform && key->type == ValueType::kInt);
  if (!integer_draws) return Status::Ok();
  constexpr double kExact = 9007199254740992.0;  // 2^53
  const std::pair<const char*, double> bounds[] = {{"min", param.min}, {"max", param.max}, {"q", param.q}};
  for (const auto& [label, v] : bounds) {
    if (std::fabs(v) > kExact)
      return Error(node[label], param.line, "parameters." + param.name + "." + label,
                   fmt::format("{} is beyond 2^53 (9007199254740992), where integers stop being exact", v));
  }
  return Status::Ok();
}

Status Parser::CheckValueCount(const YAML::Node& list, int fallback, const std::string& path,
                               const char* what) const {
  const auto count = static_cast<int64_t>(list.size());
  if (count <= limits_.max_values) return Status::Ok();
  return Error(list, fallback, path,
               fmt::format("{} {}, more than the limit of {}", count, what, limits_.max_values));
}

Status Parser::CheckKeys(const YAML::Node& map, const std::string& path, const std::vector<std::string>& allowed,
                         const std::string& hint) const {
  std::unordered_set<std::string> seen;
  for (const auto& kv : map) {
    int line = LineOf(kv.first, 1);
    if (!kv.first.IsScalar()) return Error(line, path, "keys must be plain names");
    const std::string key = kv.first.Scalar();
    std::string key_path = path.empty() ? key : path + "." + key;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      if (path.empty() && (key == "program" || key == "command" || key == "project" || key == "entity"))
        return Error(line, key_path, "a W&B key that ltsweep does not use (trials run ltsweep-train); remove it");
      std::string what = "unknown key" + DidYouMean(Suggest(key, allowed));
      if (!hint.empty()) what += "; " + hint;
      return Error(line, key_path, what);
    }
    if (!seen.insert(key).second) return Error(line, key_path, "duplicate key");
  }
  return Status::Ok();
}

StatusOr<int64_t> Parser::Int(const YAML::Node& node, int fallback, const std::string& path, double min,
                              double max) const {
  Json v = node.IsScalar() ? YamlToJson(node) : Json();
  if (!IsIntegralJson(v) || internal::IsQuoted(node))
    return Error(node, fallback, path, fmt::format("expected an integer, got {}", Brief(YamlToJson(node))));
  double d = v.get<double>();
  if (d < min) return Error(node, fallback, path, fmt::format("{} is below the minimum {}", Brief(v), min));
  if (d > max) return Error(node, fallback, path, fmt::format("{} is above the maximum {}", Brief(v), max));
  return v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : static_cast<int64_t>(v.get<double>());
}

StatusOr<double> Parser::Number(const YAML::Node& node, int fallback, const std::string& path) const {
  Json v = node.IsScalar() ? YamlToJson(node) : Json();
  if (!v.is_number() || v.is_boolean() || internal::IsQuoted(node))
    return Error(node, fallback, path, fmt::format("expected a number, got {}", Brief(YamlToJson(node))));
  return v.get<double>();
}

StatusOr<bool> Parser::Bool(const YAML::Node& node, int fallback, const std::string& path) const {
  Json v = node.IsScalar() ? YamlToJson(node) : Json();
  if (!v.is_boolean() || internal::IsQuoted(node))
    return Error(node, fallback, path, fmt::format("expected true or false, got {}", Brief(YamlToJson(node))));
  return v.get<bool>();
}

StatusOr<std::string> Parser::String(const YAML::Node& node, int fallback, const std::string& path) const {
  if (!node.IsScalar() || node.Scalar().empty())
    return Error(node, fallback, path, fmt::format("expected a string, got {}", Brief(YamlToJson(node))));
  return node.Scalar();
}

StatusOr<int64_t> Parser::DurationMs(const YAML::Node& node, int fallback, const std::string& path) const {
  const std::string hint = "expected a duration such as 90s, 10m, 2h or 1h30m (0: none)";
  if (!node.IsScalar()) return Error(node, fallback, path, hint);
  const std::string text = node.Scalar();
  if (text == "0") return int64_t{0};
  static const std::vector<std::pair<std::string, int64_t>> kUnits = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t digits = i;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == i || digits - i > 9) return Error(node, fallback, path, hint + ", got \"" + text + "\"");
    const int64_t n = std::stoll(text.substr(i, digits - i));
    int64_t scale = 0;
    size_t unit_end = digits;
    for (const auto& [unit, ms] : kUnits) {
      if (text.compare(digits, unit.size(), unit) == 0 &&
          (unit != "m" || text.compare(digits, 2, "ms") != 0)) {
        scale = ms;
        unit_end = digits + unit.size();
        break;
      }
    }
    if (scale == 0) return Error(node, fallback, path, hint + ", got \"" + text + "\"");
    total += n * scale;
    if (total > int64_t{366} * 86'400'000) {
      return Error(node, fallback, path, "\"" + text + "\" is longer than a year");
    }
    i = unit_end;
  }
  if (text.empty()) return Error(node, fallback, path, hint);
  return total;
}

Status Parser::ParseMetric(const YAML::Node& node, int line) {
  LTSWEEP_RETURN_IF_ERROR(CheckMap(node, line, "metric"));
  LTSWEEP_RETURN_IF_ERROR(CheckKeys(node, "metric", {"name", "goal", "target"}));
  if (node["name"]) {
    LTSWEEP_ASSIGN_OR_RETURN(spec_.metric.name, String(node["name"], line, "metric.name"));
  }
  if (node["goal"]) {
    LTSWEEP_ASSIGN_OR_RETURN(std::string goal, String(node["goal"], line, "metric.goal"));
    if (goal != "minimize" && goal != "maximize")
      return Error(node["goal"], line, "metric.goal",
                   fmt::format("unknown goal '{}'; expected minimize or maximize{}", goal,
                               DidYouMean(Suggest(goal, {"minimize", "maximize"}))));
    spec_.metric.goal = goal;
  }
  if (node["target"]) {
    LTSWEEP_ASSIGN_OR_RETURN(double target, Number(node["target"], line, "metric.target"));
    spec_.metric.target = target;
  }
  return Status::Ok();
}

Status Parser::ParseEarlyTerminate(const YAML::Node& node, int line) {
  LTSWEEP_RETURN_IF_ERROR(CheckMap(node, line, "early_terminate"));
  LTSWEEP_RETURN_IF_ERROR(CheckKeys(node, "early_terminate",
                                    {"type", "min_iter", "max_iter", "s", "eta", "strict", "drw_grace", "respect_drw"}));
  auto& et = spec_.early_terminate;
  et.line = line;
  const std::vector<std::string> types = {"hyperband", "median", "none"};
  if (!node["type"]) return Error(line, "early_terminate.type", "missing; expected hyperband, median or none");
  LTSWEEP_ASSIGN_OR_RETURN(et.type, String(node["type"], line, "early_terminate.type"));
  if (std::find(types.begin(), types.end(), et.type) == types.end())
    return Error(node["type"], line, "early_terminate.type",
                 fmt::format("unknown type '{}'; expected hyperband, median or none{}", et.type,
                             DidYouMean(Suggest(et.type, types))));
  if (et.type == "none") {
    if (node.size() > 1) return Error(line, "early_terminate", "type none takes no other keys");
    return Status::Ok();
  }
  if (et.type == "median") {
    for (const char* key : {"max_iter", "s", "eta", "strict"})
      if (node[key])
        return Error(node[key], line, std::string("early_terminate.") + key,
                     "a hyperband key; the median rule takes min_iter, drw_grace and respect_drw");
  }
  constexpr double kBig = 1e9;
  if (node["min_iter"]) {
    LTSWEEP_ASSIGN_OR_RETURN(int64_t v, Int(node["min_iter"], line, "early_terminate.min_iter", 1, kBig));
    et.min_iter = v;
  }
  if (node["max_iter"]) {
    LTSWEEP_ASSIGN_OR_RETURN(int64_t v, Int(node["max_iter"], line, "early_terminate.max_iter", 1, kBig));
    et.max_iter = v;
  }
  if (node["s"]) {
    LTSWEEP_ASSIGN_OR_RETURN(int64_t v, Int(node["s"], line, "early_terminate.s", 1, 100));
    et.s = v;
  }
  if (node["eta"]) {
    LTSWEEP_ASSIGN_OR_RETURN(et.eta, Number(node["eta"], line, "early_terminate.eta"));
    if (!(et.eta > 1) || !std::isfinite(et.eta))
      return Error(node["eta"], line, "early_terminate.eta", "must be greater than 1");
  }
  if (node["strict"]) {
    LTSWEEP_ASSIGN_OR_RETURN(et.strict, Bool(node["strict"], line, "early_terminate.strict"));
  }
  if (node["respect_drw"]) {
    LTSWEEP_ASSIGN_OR_RETURN(et.respect_drw, Bool(node["respect_drw"], line, "early_terminate.respect_drw"));
  }
  if (node["drw_grace"]) {
    LTSWEEP_ASSIGN_OR_RETURN(et.drw_grace, Int(node["drw_grace"], line, "early_terminate.drw_grace", 0, kBig));
  }
  if (et.type == "median") {
    if (!et.min_iter) return Error(line, "early_terminate.min_iter", "the median rule needs min_iter");
    return Status::Ok();
  }
  if (et.min_iter && et.max_iter)
    return Error(node["max_iter"], line, "early_terminate.max_iter", "give min_iter or max_iter, not both");
  if (!et.min_iter && !et.max_iter)
    return Error(line, "early_terminate", "hyperband needs min_iter (or max_iter with s)");
  if (et.max_iter && !et.s) return Error(node["max_iter"], line, "early_terminate.s", "max_iter needs s");
  if (et.s && !et.max_iter) return Error(node["s"], line, "early_terminate.s", "s goes with max_iter, not min_iter");
  return Status::Ok();
}

Status Parser::ParseResources(const YAML::Node& node, int line) {
  LTSWEEP_RETURN_IF_ERROR(CheckMap(node, line, "resources"));
  LTSWEEP_RETURN_IF_ERROR(CheckKeys(node, "resources", {"gpus", "timeout", "no_progress_timeout"}));
  if (node["gpus"]) {
    LTSWEEP_ASSIGN_OR_RETURN(spec_.gpus, Int(node["gpus"], line, "resources.gpus", 0, 64));
  }
  if (node["timeout"]) {
    LTSWEEP_ASSIGN_OR_RETURN(spec_.timeout_ms, DurationMs(node["timeout"], line, "resources.timeout"));
  }
  if (node["no_progress_timeout"]) {
    LTSWEEP_ASSIGN_OR_RETURN(spec_.no_progress_timeout_ms,
                             DurationMs(node["no_progress_timeout"], line, "resources.no_progress_timeout"));
  }
  return Status::Ok();
}

Status Parser::ParseSeeds(const YAML::Node& node, int line) {
  if (!node.IsSequence()) return Error(node, line, "seeds", "expected a list of integers, e.g. [0, 1, 2]");
  if (node.size() == 0) return Error(node, line, "seeds", "empty list; give at least one seed");
  LTSWEEP_RETURN_IF_ERROR(CheckValueCount(node, line, "seeds", "seeds"));
  spec_.seeds.clear();
  std::unordered_set<int64_t> seen;
  size_t i = 0;
  for (const auto& item : node) {
    std::string path = fmt::format("seeds[{}]", i++);
    LTSWEEP_ASSIGN_OR_RETURN(int64_t seed, Int(item, line, path, 0, 4294967295.0));
    if (!seen.insert(seed).second) return Error(item, line, path, fmt::format("duplicate seed {}", seed));
    spec_.seeds.push_back(seed);
  }
  spec_.seeds_given = true;
  spec_.seeds_line = line;
  return Status::Ok();
}

Status Parser::ParseConfig(const YAML::Node& node, const std::string& prefix, int line) {
  std::string here = prefix.empty() ? "config" : "config." + prefix;
  LTSWEEP_RETURN_IF_ERROR(CheckMap(node, line, here));
  std::unordered_set<std::string> seen;
  for (const auto& kv : node) {
    int key_line = LineOf(kv.first, line);
    if (!kv.first.IsScalar()) return Error(key_line, here, "keys must be plain names");
    const std::string path = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
    const std::string where = "config." + path;
    if (!seen.insert(kv.first.Scalar()).second) return Error(key_line, where, "duplicate key");
    const ConfigKey* key = FindConfigKey(path);
    if (kv.second.IsMap() && key == nullptr) {
      if (!IsConfigSection(path))
        return Error(key_line, where, "unknown config key" + DidYouMean(SuggestConfigKeys(path)));
      LTSWEEP_RETURN_IF_ERROR(ParseConfig(kv.second, path, key_line));
      continue;
    }
    if (key == nullptr) {
      if (IsConfigSection(path)) return Error(key_line, where, "is a section; expected a mapping of its keys");
      return Error(key_line, where, "unknown config key" + DidYouMean(SuggestConfigKeys(path)));
    }
    Json value = YamlToJson(kv.second);
    Status st = CheckConfigValue(*key, value);
    if (!st.ok()) {
      auto [suffix, what] = SplitSchemaMessage(st.message(), key->path);
      return Error(kv.second, key_line, where + suffix, what);
    }
    SetPath(spec_.base_config, path, NormalizeConfigValue(*key, value));
    spec_.base_config_lines.emplace_back(path, LineOf(kv.second, key_line));
  }
  return Status::Ok();
}

Status Parser::ParseParameters(const YAML::Node& node, const std::string& prefix, int line) {
  std::string here = prefix.empty() ? "parameters" : "parameters." + prefix;
  LTSWEEP_RETURN_IF_ERROR(CheckMap(node, line, here));
  if (node.size() == 0) return Error(node, line, here, "empty; give at least one parameter or leave it out");
  for (const auto& kv : node) {
    int key_line = LineOf(kv.first, line);
    if (!kv.first.IsScalar()) return Error(key_line, here, "keys must be plain names");
    const std::string name = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
    const std::string where = "parameters." + name;
    if (!kv.second.IsMap())
      return Error(kv.second, key_line, where,
                   fmt::format("expected a mapping with value, values or distribution, got {}",
                               Brief(YamlToJson(kv.second))));
    if (kv.second["parameters"]) {
      if (kv.second.size() != 1)
        return Error(key_line, where, "a nested 'parameters:' mapping takes no other keys");
      LTSWEEP_RETURN_IF_ERROR(ParseParameters(kv.second["parameters"], name, key_line));
      continue;
    }
    LTSWEEP_RETURN_IF_ERROR(ParseParam(name, key_line, kv.second));
  }
  return Status::Ok();
}

Status Parser::ParsePresetValue(const std::string& param, const YAML::Node& node, const std::string& prefix,
                                const std::string& path, ParamValue& pv,
                                std::unordered_set<std::string>& keys_set) {
  std::unordered_set<std::string> seen;
  for (const auto& kv : node) {
    int key_line = LineOf(kv.first, pv.line);
    if (!kv.first.IsScalar()) return Error(key_line, path, "keys must be plain names");
    std::string written = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
    std::string where = path + "." + kv.first.Scalar();
    if (!seen.insert(kv.first.Scalar()).second) return Error(key_line, where, "duplicate key");
    // Keys are full dotted paths; when the parameter is named after a config
    // section, paths relative to it are accepted too.
    std::string full = written;
    if (FindConfigKey(full) == nullptr && !IsConfigSection(full) &&
        (FindConfigKey(param + "." + written) != nullptr || IsConfigSection(param + "." + written)))
      full = param + "." + written;
    const ConfigKey* key = FindConfigKey(full);
    if (key == nullptr) {
      if (kv.second.IsMap() && IsConfigSection(full)) {
        LTSWEEP_RETURN_IF_ERROR(ParsePresetValue(param, kv.second, written, where, pv, keys_set));
        continue;
      }
      if (IsConfigSection(full)) return Error(key_line, where, "is a section; expected a mapping of its keys");
      return Error(key_line, where, "unknown config key" + DidYouMean(SuggestConfigKeys(full)));
    }
    Json value = YamlToJson(kv.second);
    Status st = CheckConfigValue(*key, value);
    if (!st.ok()) {
      auto [suffix, what] = SplitSchemaMessage(st.message(), key->path);
      return Error(kv.second, key_line, where + suffix, what);
    }
    if (!keys_set.insert(full).second) return Error(key_line, where, fmt::format("sets {} twice", full));
    pv.sets.emplace_back(full, NormalizeConfigValue(*key, value));
    pv.set_lines.push_back(LineOf(kv.second, key_line));
  }
  return Status::Ok();
}

Status Parser::ParseParam(const std::string& name, int name_line, const YAML::Node& node) {
  const std::string where = "parameters." + name;
  const ConfigKey* key = FindConfigKey(name);
  std::string hint;
  if (key == nullptr && IsConfigSection(name))
    hint = "nested parameters go under a 'parameters:' key, or name them by dotted path";
  LTSWEEP_RETURN_IF_ERROR(CheckKeys(node, where, kParamKeys, hint));
  if (auto [it, inserted] = param_lines_.emplace(name, name_line); !inserted)
    return Error(name_line, where, fmt::format("defined twice (first on line {})", it->second));
  ParamSpec param;
  param.name = name;
  param.line = name_line;
  const YAML::Node value = node["value"], values = node["values"], dist = node["distribution"];
  const YAML::Node min = node["min"], max = node["max"], q = node["q"];

  std::string dist_name;
  if (dist) {
    LTSWEEP_ASSIGN_OR_RETURN(dist_name, String(dist, name_line, where + ".distribution"));
    if (std::find(kDistributions.begin(), kDistributions.end(), dist_name) == kDistributions.end())
      return Error(dist, name_line, where + ".distribution",
                   fmt::format("unknown distribution '{}'{}; expected one of: categorical, uniform, "
                               "log_uniform_values, int_uniform, q_uniform",
                               dist_name, DidYouMean(Suggest(dist_name, kDistributions))));
  }
  if (value && values) return Error(values, name_line, where + ".values", "give value or values, not both");
  if (value && (dist || min || max || q))
    return Error(name_line, where, "a fixed 'value' takes no distribution, min, max or q");
  if (!value && !values && !dist && !min && !max)
    return Error(name_line, where, "needs value, values, or a distribution with min and max");
  if (!dist_name.empty() && dist_name != "categorical" && values)
    return Error(values, name_line, where + ".values",
                 fmt::format("distribution {} takes min and max, not values", dist_name));
  if (dist_name.empty() && !value && !values) {
    // W&B's inference: integer bounds draw integers, others draw reals.
    bool ints = min && max && IsIntegralJson(YamlToJson(min)) && IsIntegralJson(YamlToJson(max)) &&
                YamlToJson(min).is_number_integer() && YamlToJson(max).is_number_integer();
    dist_name = ints ? "int_uniform" : "uniform";
  }
  if (dist_name == "categorical" && !values)
    return Error(name_line, where, "distribution categorical needs values");
  if (value || values) return ParseParamValues(param, key, node);
  return ParseParamDistribution(param, key, dist_name, node);
}

Status Parser::ParseParamValues(ParamSpec& param, const ConfigKey* key, const YAML::Node& node) {
  const std::string& name = param.name;
  const int name_line = param.line;
  const std::string where = "parameters." + name;
  const YAML::Node value = node["value"], values = node["values"];
  const YAML::Node min = node["min"], max = node["max"], q = node["q"];
  if ((min || max || q))
    return Error(min ? min : (max ? max : q), name_line, where, "values take no min, max or q");
  std::vector<YAML::Node> items;
  if (value) {
    param.single_value = true;
    items.push_back(value);
  } else {
    if (!values.IsSequence())
      return Error(values, name_line, where + ".values", "expected a list, e.g. [0.1, 0.01]");
    if (values.size() == 0) return Error(values, name_line, where + ".values", "empty list; give at least one value");
    LTSWEEP_RETURN_IF_ERROR(CheckValueCount(values, name_line, where + ".values", "values"));
    for (const auto& item : values) items.push_back(item);
  }
  // A preset: the name is not a config key and the values set several keys.
  param.is_preset = key == nullptr;
  for (size_t i = 0; i < items.size(); ++i) {
    const YAML::Node item = items[i];
    std::string item_path = value ? where + ".value" : fmt::format("{}.values[{}]", where, i);
    ParamValue pv;
    pv.line = LineOf(item, name_line);
    pv.value = YamlToJson(item);
    if (param.is_preset) {
      if (!item.IsMap())
        return Error(name_line, where,
                     fmt::format("not a trial-config key{}; a preset parameter's values must be mappings of "
                                 "config keys, e.g. {{method.loss: ldam, method.defer: drw}}",
                                 DidYouMean(SuggestConfigKeys(name))));
      std::unordered_set<std::string> keys_set;
      LTSWEEP_RETURN_IF_ERROR(ParsePresetValue(name, item, "", item_path, pv, keys_set));
    } else {
      Status st = CheckConfigValue(*key, pv.value);
      if (!st.ok()) {
        auto [suffix, what] = SplitSchemaMessage(st.message(), key->path);
        return Error(item, name_line, item_path + suffix, what);
      }
      pv.sets.emplace_back(name, NormalizeConfigValue(*key, pv.value));
      pv.set_lines.push_back(pv.line);
    }
    param.values.push_back(std::move(pv));
  }
  param.distribution = Distribution::kValues;
  spec_.parameters.push_back(std::move(param));
  return Status::Ok();
}

Status Parser::ParseParamDistribution(ParamSpec& param, const ConfigKey* key, const std::string& dist_name,
                                      const YAML::Node& node) {
  const std::string& name = param.name;
  const int name_line = param.line;
  const std::string where = "parameters." + name;
  const YAML::Node min = node["min"], max = node["max"], q = node["q"];
  if (dist_name == "uniform") param.distribution = Distribution::kUniform;
  if (dist_name == "log_uniform_values") param.distribution = Distribution::kLogUniformValues;
  if (dist_name == "int_uniform") param.distribution = Distribution::kIntUniform;
  if (dist_name == "q_uniform") param.distribution = Distribution::kQUniform;
  if (key == nullptr)
    return Error(name_line, where, "unknown config key" + DidYouMean(SuggestConfigKeys(name)));
  if (key->type != ValueType::kInt && key->type != ValueType::kNumber)
    return Error(name_line, where,
                 fmt::format("distribution {} draws numbers, but {} is a {}; use values", dist_name, name,
                             ValueTypeName(key->type)));
  if (key->type == ValueType::kInt &&
      (param.distribution == Distribution::kUniform || param.distribution == Distribution::kLogUniformValues))
    return Error(name_line, where,
                 fmt::format("distribution {} draws non-integers, but {} is an integer; use int_uniform or "
                             "q_uniform",
                             dist_name, name));
  if (!min) return Error(name_line, where + ".min", fmt::format("missing; distribution {} needs min and max", dist_name));
  if (!max) return Error(name_line, where + ".max", fmt::format("missing; distribution {} needs min and max", dist_name));
  LTSWEEP_ASSIGN_OR_RETURN(param.min, Number(min, name_line, where + ".min"));
  LTSWEEP_ASSIGN_OR_RETURN(param.max, Number(max, name_line, where + ".max"));
  if (q && param.distribution != Distribution::kQUniform)
    return Error(q, name_line, where + ".q", "q applies to distribution q_uniform only");
  param.q = 1;
  if (q) {
    LTSWEEP_ASSIGN_OR_RETURN(param.q, Number(q, name_line, where + ".q"));
    if (!(param.q > 0)) return Error(q, name_line, where + ".q", "must be greater than 0");
  }
  if (param.min > param.max)
    return Error(min, name_line, where + ".min", fmt::format("min {} is greater than max {}", param.min, param.max));
  LTSWEEP_RETURN_IF_ERROR(CheckIntegerDrawBounds(param, key, node));
  if (param.distribution == Distribution::kLogUniformValues && param.min <= 0)
    return Error(min, name_line, where + ".min",
                 fmt::format("log_uniform_values needs min > 0, got {}", param.min));
  if (param.distribution == Distribution::kIntUniform) {
    if (std::floor(param.min) != param.min)
      return Error(min, name_line, where + ".min", "int_uniform needs integer bounds");
    if (std::floor(param.max) != param.max)
      return Error(max, name_line, where + ".max", "int_uniform needs integer bounds");
  }
  if (param.distribution == Distribution::kQUniform && key->type == ValueType::kInt &&
      (std::floor(param.q) != param.q || std::floor(param.min) != param.min))
    return Error(q ? q : min, name_line, where, fmt::format("{} is an integer: q_uniform needs an integer q and min", name));
  // Both bounds must be valid values of the key.
  for (const auto& [node_b, bound, label] :
       {std::tuple{min, param.min, "min"}, std::tuple{max, param.max, "max"}}) {
    Json v = key->type == ValueType::kInt ? Json(static_cast<int64_t>(bound)) : Json(bound);
    Status st = CheckConfigValue(*key, v);
    if (!st.ok()) {
      auto [suffix, what] = SplitSchemaMessage(st.message(), key->path);
      return Error(node_b, name_line, where + "." + label, what);
    }
  }
  spec_.parameters.push_back(std::move(param));
  return Status::Ok();
}

Status Parser::BayesChecks() const {
  if (!spec_.run_cap)
    return Error(method_line_, "run_cap",
                 "bayes search needs run_cap, the number of trials to make (they are chosen one by one from the "
                 "results so far)");
  if (spec_.seeds.size() > 1)
    return Error(spec_.seeds_line, "seeds",
                 "bayes search runs each configuration once; give one seed, or sweep train.seed as a parameter");
  if (spec_.parameters.empty())
    return Error(spec_.parameters_line > 0 ? spec_.parameters_line : method_line_, "parameters",
                 "bayes search needs at least one parameter to search over");
  return Status::Ok();
}

Status Parser::CrossChecks() {
  if (spec_.method == SearchMethod::kRandom && !spec_.run_cap)
    return Error(method_line_, "run_cap", "random search needs run_cap, the number of configurations to draw");
  if (spec_.method == SearchMethod::kBayes) LTSWEEP_RETURN_IF_ERROR(BayesChecks());
  std::map<std::string, std::string> set_by;  // config key -> parameter
  for (const auto& p : spec_.parameters) {
    if (spec_.method == SearchMethod::kGrid && p.distribution != Distribution::kValues)
      return Error(p.line, "parameters." + p.name,
                   fmt::format("grid search needs values, but distribution {} has none (use values, or method: "
                               "random)",
                               DistributionName(p.distribution)));
    std::set<std::string> keys;
    if (p.distribution != Distribution::kValues) keys.insert(p.name);
    for (const auto& v : p.values)
      for (const auto& [k, val] : v.sets) keys.insert(k);
    for (const auto& k : keys) {
      auto [it, inserted] = set_by.emplace(k, p.name);
      if (!inserted)
        return Error(p.line, "parameters." + p.name,
                     fmt::format("sets {}, which parameter {} also sets", k, it->second));
      if (k == "train.seed" && spec_.seeds_given)
        return Error(spec_.seeds_line, "seeds",
                     fmt::format("train.seed is swept by parameter {}; drop seeds: or that parameter", p.name));
    }
  }
  const Json* config_seed = GetPath(spec_.base_config, "train.seed");
  if (config_seed != nullptr) {
    if (spec_.seeds_given)
      return Error(spec_.seeds_line, "seeds", "config.train.seed is set too; give the seeds in one place");
    spec_.seeds = {config_seed->get<int64_t>()};
  }
  return Status::Ok();
}

StatusOr<SweepSpec> Parser::Parse(const YAML::Node& root) {
  spec_.file_name = file_;
  spec_.name = std::filesystem::path(file_).stem().string();
  if (spec_.name.empty()) spec_.name = "sweep";
  if (!root.IsMap())
    return Error(root, 1, "(top level)",
                 root.IsNull() ? "empty document; expected a mapping of sweep keys"
                               : "expected a mapping of sweep keys (method, parameters, config, ...)");
  LTSWEEP_RETURN_IF_ERROR(CheckKeys(root, "", kTopKeys));
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    int line = LineOf(kv.first, 1);
    if (key == "name") {
      LTSWEEP_ASSIGN_OR_RETURN(spec_.name, String(v, line, "name"));
    } else if (key == "description") {
      if (!v.IsScalar()) return Error(v, line, "description", "expected a string");
      spec_.description = v.Scalar();
    } else if (key == "method") {
      LTSWEEP_ASSIGN_OR_RETURN(std::string m, String(v, line, "method"));
      method_line_ = LineOf(v, line);
      if (m == "grid") {
        spec_.method = SearchMethod::kGrid;
      } else if (m == "random") {
        spec_.method = SearchMethod::kRandom;
      } else if (m == "bayes") {
        spec_.method = SearchMethod::kBayes;
      } else {
        return Error(v, line, "method", fmt::format("unknown method '{}'; expected grid, random or bayes{}", m,
                                                    DidYouMean(Suggest(m, {"grid", "random", "bayes"}))));
      }
    } else if (key == "metric") {
      LTSWEEP_RETURN_IF_ERROR(ParseMetric(v, line));
    } else if (key == "parameters") {
      spec_.parameters_line = line;
      LTSWEEP_RETURN_IF_ERROR(ParseParameters(v, "", line));
    } else if (key == "run_cap") {
      spec_.run_cap_line = line;
      LTSWEEP_ASSIGN_OR_RETURN(int64_t cap, Int(v, line, "run_cap", 1, 1e12));
      spec_.run_cap = cap;
    } else if (key == "early_terminate") {
      LTSWEEP_RETURN_IF_ERROR(ParseEarlyTerminate(v, line));
    } else if (key == "config") {
      spec_.config_line = line;
      if (!v.IsNull()) LTSWEEP_RETURN_IF_ERROR(ParseConfig(v, "", line));  // `config:` alone is empty
    } else if (key == "seeds") {
      LTSWEEP_RETURN_IF_ERROR(ParseSeeds(v, line));
    } else if (key == "max_attempts") {
      LTSWEEP_ASSIGN_OR_RETURN(spec_.max_attempts, Int(v, line, "max_attempts", 1, 100));
    } else if (key == "resources") {
      LTSWEEP_RETURN_IF_ERROR(ParseResources(v, line));
    } else if (key == "priority") {
      LTSWEEP_ASSIGN_OR_RETURN(spec_.priority, Int(v, line, "priority", -1e9, 1e9));
    } else if (key == "rerun") {
      LTSWEEP_ASSIGN_OR_RETURN(spec_.rerun, Bool(v, line, "rerun"));
    } else if (key == "seed") {
      LTSWEEP_ASSIGN_OR_RETURN(int64_t seed, Int(v, line, "seed", 0, 9.2e18));
      spec_.search_seed = static_cast<uint64_t>(seed);
    }
  }
  LTSWEEP_RETURN_IF_ERROR(CrossChecks());
  return std::move(spec_);
}

Status MalformedYaml(const std::string& file, const YAML::Exception& e) {
  return SpecError(file, e.mark.line >= 0 ? e.mark.line + 1 : 1, "malformed YAML", e.msg);
}

// The checks of text, document and spec, in that order; may throw
// std::bad_alloc.
StatusOr<SweepSpec> ParseChecked(const std::string& text, const std::string& file, const SpecLimits& limits,
                                  int stage_index = 0, const Json* found = nullptr) {
  LTSWEEP_RETURN_IF_ERROR(internal::CheckSpecText(text, file, limits));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // CheckSpecText's estimate missed it; yaml-cpp's own guard caught it.
    return InvalidArgumentError(fmt::format("{}:{}: nested too deeply for the YAML parser; the limit is {} levels",
                                            file, e.mark.line >= 0 ? e.mark.line + 1 : 1, limits.max_depth));
  } catch (const YAML::Exception& e) {
    Status bad = MalformedYaml(file, e);
    if (text.find("${") == std::string::npos) return bad;
    return InvalidArgumentError(bad.message() + " (a ${stage.value} inside { } or [ ] must be quoted)");
  }
  try {
    LTSWEEP_RETURN_IF_ERROR(internal::CheckDocument(root, file, limits));
    const YAML::Node& const_root = root;
    if (const_root.IsMap() && const_root["stages"]) {  // spec/stages.h
      return internal::ParseStaged(root, file, stage_index, found,
                                   [&](const YAML::Node& stage) { return Parser(file, limits).Parse(stage); });
    }
    if (found != nullptr) return InvalidArgumentError(file + ": not a staged spec (it has no stages:)");
    return Parser(file, limits).Parse(root);
  } catch (const YAML::Exception& e) {
    return MalformedYaml(file, e);
  }
}

}  // namespace

const char* SearchMethodName(SearchMethod m) {
  switch (m) {
    case SearchMethod::kGrid: return "grid";
    case SearchMethod::kRandom: return "random";
    case SearchMethod::kBayes: return "bayes";
  }
  return "?";
}

const char* DistributionName(Distribution d) {
  switch (d) {
    case Distribution::kValues: return "categorical";
    case Distribution::kUniform: return "uniform";
    case Distribution::kLogUniformValues: return "log_uniform_values";
    case Distribution::kIntUniform: return "int_uniform";
    case Distribution::kQUniform: return "q_uniform";
  }
  return "?";
}

StatusOr<SweepSpec> ParseSweepSpec(const std::string& yaml_text, const std::string& file_name,
                                   const SpecLimits& limits) {
  try {
    return ParseChecked(yaml_text, file_name, limits);
  } catch (const std::bad_alloc&) {
    return internal::OutOfMemoryError(file_name, "parsing");
  } catch (const std::length_error&) {
    return internal::OutOfMemoryError(file_name, "parsing");
  }
}

StatusOr<SweepSpec> ParseStageSpec(const std::string& yaml_text, const std::string& file_name, int stage_index,
                                   const Json& found, const SpecLimits& limits) {
  try {
    return ParseChecked(yaml_text, file_name, limits, stage_index, &found);
  } catch (const std::bad_alloc&) {
    return internal::OutOfMemoryError(file_name, "parsing");
  } catch (const std::length_error&) {
    return internal::OutOfMemoryError(file_name, "parsing");
  }
}

StatusOr<SweepSpec> LoadSweepSpecFile(const std::string& path, const SpecLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("{}: cannot open the sweep spec", path));
  // Reads no more than one byte past the limit, so a huge file costs nothing.
  std::string text;
  std::vector<char> buffer(1 << 16);
  while (in && static_cast<int64_t>(text.size()) <= limits.max_bytes) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    text.append(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return NotFoundError(fmt::format("{}: cannot read the sweep spec", path));
  if (static_cast<int64_t>(text.size()) > limits.max_bytes) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return internal::SpecTooLargeError(path, ec ? limits.max_bytes : static_cast<int64_t>(size), !ec, limits);
  }
  return ParseSweepSpec(text, path, limits);
}

}  // namespace ltsweep::spec
