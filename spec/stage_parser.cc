#include "spec/stage_parser.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "spec/stages.h"
#include "spec/yaml_util.h"

namespace ltsweep::spec::internal {

namespace {

const std::vector<std::string> kStageKeys = {"name", "find", "rule", "config", "parameters", "seeds"};
constexpr size_t kMaxStages = 16;

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 64 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// "${stage.value}" -> {stage, value}; nullopt when the text is not one.
std::optional<std::pair<std::string, std::string>> ParseRef(const std::string& text) {
  if (text.size() < 6 || text.compare(0, 2, "${") != 0 || text.back() != '}') return std::nullopt;
  std::string body = text.substr(2, text.size() - 3);
  body.erase(0, body.find_first_not_of(' '));
  body.erase(body.find_last_not_of(' ') + 1);
  const size_t dot = body.find('.');
  if (dot == std::string::npos) return std::nullopt;
  std::string stage = body.substr(0, dot), value = body.substr(dot + 1);
  if (!IsIdentifier(stage) || !IsIdentifier(value)) return std::nullopt;
  return std::make_pair(stage, value);
}

bool HasRef(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar().find("${") != std::string::npos;
  if (node.IsSequence()) {
    for (const auto& item : node)
      if (HasRef(item)) return true;
  }
  if (node.IsMap()) {
    for (const auto& kv : node)
      if (HasRef(kv.second)) return true;
  }
  return false;
}

YAML::Node JsonToYaml(const Json& v) {
  if (v.is_array()) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (const Json& item : v) seq.push_back(JsonToYaml(item));
    return seq;
  }
  if (v.is_number_integer() || v.is_number_unsigned()) return YAML::Node(std::to_string(v.get<int64_t>()));
  if (v.is_number_float()) return YAML::Node(fmt::format("{}", v.get<double>()));
  return YAML::Node(v.dump());
}

// The value of key `key` in map `m`, or an undefined node.
std::optional<YAML::Node> Lookup(const YAML::Node& m, const std::string& key) {
  for (const auto& kv : m)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  return std::nullopt;
}

// `base` with `over`'s keys laid over it (maps merged key by key, anything
// else replaced). Keys `over` touches come after the others, so a stage's
// value also wins over a dotted spelling of the same key in the base.
YAML::Node MergeMaps(const YAML::Node& base, const YAML::Node& over) {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& kv : base)
    if (!Lookup(over, kv.first.Scalar())) out.force_insert(kv.first, kv.second);
  for (const auto& kv : over) {
    auto mine = Lookup(base, kv.first.Scalar());
    if (mine && mine->IsMap() && kv.second.IsMap()) {
      out.force_insert(kv.first, MergeMaps(*mine, kv.second));
    } else {
      out.force_insert(kv.first, kv.second);
    }
  }
  return out;
}

// `node` with every `${stage.value}` replaced from `values`.
YAML::Node Substitute(const YAML::Node& node, const Json& values) {
  if (!HasRef(node)) return node;
  if (node.IsScalar()) {
    auto ref = ParseRef(node.Scalar());
    return JsonToYaml(values.at(ref->first).at(ref->second));
  }
  if (node.IsSequence()) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (const auto& item : node) seq.push_back(Substitute(item, values));
    return seq;
  }
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& kv : node) out.force_insert(kv.first, Substitute(kv.second, values));
  return out;
}

struct RawStage {
  StageSpec spec;
  YAML::Node config, parameters, seeds;
  int find_line = 0, parameters_line = 0, seeds_line = 0;
};

class StagedParser {
 public:
  StagedParser(const YAML::Node& root, std::string file) : root_(root), file_(std::move(file)) {}

  StatusOr<SweepSpec> Run(int stage_index, const Json* found, const ParseRootFn& parse);

 private:
  Status Error(int line, std::string_view path, std::string_view what) const {
    return SpecError(file_, line, path, what);
  }
  Status CheckTop() const;
  Status ParseStage(const YAML::Node& node, size_t i);
  Status ParseRule(const YAML::Node& node, int line, const std::string& path, RawStage& stage) const;
  Status CollectRefs(const YAML::Node& node, const std::string& path, int line, size_t i);
  Status NoRefs(const YAML::Node& node, const std::string& path, int line) const;
  YAML::Node StageRoot(size_t i, const Json& values) const;
  StatusOr<Json> ValuesFor(size_t i, const Json* found) const;
  Status CheckStageSpec(size_t i, const SweepSpec& s) const;

  const YAML::Node& root_;
  std::string file_;
  std::vector<RawStage> stages_;
};

Status StagedParser::CheckTop() const {
  for (const auto& kv : root_) {
    const std::string key = kv.first.Scalar();
    const int line = LineOf(kv.first, 1);
    if (key == "parameters")
      return Error(line, key, "with stages:, parameters belong to the stage that varies them (stages[i].parameters)");
    if (key == "run_cap") return Error(line, key, "is not supported with stages: (each stage runs its whole grid)");
    if (key == "early_terminate")
      return Error(line, key,
                   "is not supported with stages: (a stopped trial would cut short the curve a stage's rule reads)");
    if (key == "method" && kv.second.IsScalar() && kv.second.Scalar() != "grid")
      return Error(line, key, fmt::format("stages run grids; method: {} is not supported with stages:", kv.second.Scalar()));
    if (key == "config") LTSWEEP_RETURN_IF_ERROR(NoRefs(kv.second, "config", line));
  }
  return Status::Ok();
}

Status StagedParser::NoRefs(const YAML::Node& node, const std::string& path, int line) const {
  if (!HasRef(node)) return Status::Ok();
  if (node.IsScalar())
    return Error(LineOf(node, line), path,
                 "the base config is every stage's, the first's too: put a ${stage.value} in the config of the "
                 "stage that uses it");
  if (node.IsSequence()) {
    int i = 0;
    for (const auto& item : node) LTSWEEP_RETURN_IF_ERROR(NoRefs(item, fmt::format("{}[{}]", path, i++), line));
    return Status::Ok();
  }
  for (const auto& kv : node)
    LTSWEEP_RETURN_IF_ERROR(NoRefs(kv.second, path + "." + kv.first.Scalar(), LineOf(kv.first, line)));
  return Status::Ok();
}

Status StagedParser::ParseRule(const YAML::Node& node, int line, const std::string& path, RawStage& st) const {
  if (!node.IsMap()) return Error(LineOf(node, line), path, "expected a mapping of the rule's settings");
  const bool lr = st.spec.find == StageFind::kLrBounds;
  const std::vector<std::string> keys =
      lr ? std::vector<std::string>{"smooth", "rise", "fall", "min_signal"}
         : std::vector<std::string>{"window", "min_delta", "min_epoch"};
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar(), where = path + "." + key;
    const int at = LineOf(kv.first, line);
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      return Error(at, where, fmt::format("unknown setting of the {} rule{}; expected one of {}",
                                          StageFindName(st.spec.find), DidYouMean(Suggest(key, keys)),
                                          fmt::join(keys, ", ")));
    const Json v = YamlToJson(kv.second);
    if (!v.is_number() || v.is_boolean()) return Error(at, where, "expected a number");
    const double d = v.get<double>();
    auto in = [&](double lo, double hi, bool integral) -> Status {
      if (d < lo || d > hi || (integral && d != static_cast<int>(d)))
        return Error(at, where, fmt::format("expected {} in [{}, {}], got {}", integral ? "an integer" : "a number",
                                            lo, hi, Brief(v)));
      return Status::Ok();
    };
    if (key == "smooth") {
      LTSWEEP_RETURN_IF_ERROR(in(1, 99, true));
      if (static_cast<int>(d) % 2 == 0) return Error(at, where, "must be odd (a centred window)");
      st.spec.lr_bounds.smooth = static_cast<int>(d);
    } else if (key == "rise" || key == "fall") {
      LTSWEEP_RETURN_IF_ERROR(in(0.001, 0.999, false));
      (key == "rise" ? st.spec.lr_bounds.rise : st.spec.lr_bounds.fall) = d;
    } else if (key == "min_signal") {
      LTSWEEP_RETURN_IF_ERROR(in(0, 1, false));
      st.spec.lr_bounds.min_signal = d;
    } else if (key == "window") {
      LTSWEEP_RETURN_IF_ERROR(in(1, 1000, true));
      st.spec.plateau.window = static_cast<int>(d);
    } else if (key == "min_delta") {
      LTSWEEP_RETURN_IF_ERROR(in(0, 1, false));
      st.spec.plateau.min_delta = d;
    } else {
      LTSWEEP_RETURN_IF_ERROR(in(0, 100000, true));
      st.spec.plateau.min_epoch = static_cast<int>(d);
    }
  }
  return Status::Ok();
}

Status StagedParser::ParseStage(const YAML::Node& node, size_t i) {
  const std::string path = fmt::format("stages[{}]", i);
  const int line = LineOf(node, 1);
  if (!node.IsMap()) return Error(line, path, "expected a mapping (name, find, rule, config, parameters, seeds)");
  RawStage st;
  st.spec.line = line;
  YAML::Node rule;
  int rule_line = 0;
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar(), where = path + "." + key;
    const int at = LineOf(kv.first, line);
    if (std::find(kStageKeys.begin(), kStageKeys.end(), key) == kStageKeys.end())
      return Error(at, where, "unknown key" + DidYouMean(Suggest(key, kStageKeys)) +
                                  "; a stage takes name, find, rule, config, parameters, seeds");
    if (!seen.insert(key).second) return Error(at, where, "duplicate key");
    if (key == "name") {
      if (!kv.second.IsScalar() || !IsIdentifier(kv.second.Scalar()))
        return Error(at, where, "expected a name of letters, digits and _ (not starting with a digit)");
      st.spec.name = kv.second.Scalar();
    } else if (key == "find") {
      const std::string f = kv.second.IsScalar() ? kv.second.Scalar() : "";
      st.find_line = at;
      if (f == "lr_bounds") {
        st.spec.find = StageFind::kLrBounds;
      } else if (f == "plateau") {
        st.spec.find = StageFind::kPlateau;
      } else {
        return Error(at, where, fmt::format("unknown rule '{}'; expected lr_bounds or plateau{}", f,
                                            DidYouMean(Suggest(f, {"lr_bounds", "plateau"}))));
      }
    } else if (key == "rule") {
      rule = kv.second;
      rule_line = at;
    } else if (key == "config") {
      st.config = kv.second;
    } else if (key == "parameters") {
      st.parameters = kv.second;
      st.parameters_line = at;
    } else {
      st.seeds = kv.second;
      st.seeds_line = at;
    }
  }
  if (st.spec.name.empty()) return Error(line, path + ".name", "every stage needs a name");
  for (const RawStage& other : stages_)
    if (other.spec.name == st.spec.name)
      return Error(line, path + ".name", fmt::format("stage name '{}' is used twice", st.spec.name));
  if (!rule.IsNull()) {
    if (st.spec.find == StageFind::kNothing) return Error(rule_line, path + ".rule", "rule: needs find:");
    LTSWEEP_RETURN_IF_ERROR(ParseRule(rule, rule_line, path + ".rule", st));
  }
  stages_.push_back(std::move(st));
  return Status::Ok();
}

Status StagedParser::CollectRefs(const YAML::Node& node, const std::string& path, int line, size_t i) {
  const int at = LineOf(node, line);
  if (node.IsSequence()) {
    int k = 0;
    for (const auto& item : node) LTSWEEP_RETURN_IF_ERROR(CollectRefs(item, fmt::format("{}[{}]", path, k++), at, i));
    return Status::Ok();
  }
  if (node.IsMap()) {
    for (const auto& kv : node)
      LTSWEEP_RETURN_IF_ERROR(CollectRefs(kv.second, path + "." + kv.first.Scalar(), LineOf(kv.first, at), i));
    return Status::Ok();
  }
  if (!node.IsScalar() || node.Scalar().find("${") == std::string::npos) return Status::Ok();
  auto ref = ParseRef(node.Scalar());
  if (!ref)
    return Error(at, path, fmt::format("'{}': a reference is the whole value, ${{<stage>.<value>}}, e.g. "
                                       "${{range_test.max_lr}}", node.Scalar()));
  std::vector<std::string> earlier;
  for (size_t k = 0; k < i; ++k) earlier.push_back(stages_[k].spec.name);
  auto it = std::find(earlier.begin(), earlier.end(), ref->first);
  if (it == earlier.end()) {
    for (size_t k = i; k < stages_.size(); ++k)
      if (stages_[k].spec.name == ref->first)
        return Error(at, path, fmt::format("${{{}.{}}}: stage '{}' is {}; a stage takes values only from stages "
                                           "before it", ref->first, ref->second, ref->first,
                                           k == i ? "this stage" : "a later stage"));
    return Error(at, path, fmt::format("${{{}.{}}}: no stage '{}' before this one{}", ref->first, ref->second,
                                       ref->first, DidYouMean(Suggest(ref->first, earlier))));
  }
  const StageSpec& from = stages_[static_cast<size_t>(it - earlier.begin())].spec;
  const auto& names = StageValueNames(from.find);
  if (from.find == StageFind::kNothing)
    return Error(at, path, fmt::format("${{{}.{}}}: stage '{}' finds nothing (it has no find:)", ref->first,
                                       ref->second, ref->first));
  if (std::find(names.begin(), names.end(), ref->second) == names.end())
    return Error(at, path, fmt::format("${{{}.{}}}: stage '{}' (find: {}) finds {}; no '{}'{}", ref->first,
                                       ref->second, ref->first, StageFindName(from.find), fmt::join(names, ", "),
                                       ref->second, DidYouMean(Suggest(ref->second, names))));
  stages_[i].spec.refs.push_back({ref->first, ref->second, path, at});
  return Status::Ok();
}

YAML::Node StagedParser::StageRoot(size_t i, const Json& values) const {
  const RawStage& st = stages_[i];
  YAML::Node out(YAML::NodeType::Map);
  YAML::Node config_key;
  for (const auto& kv : root_) {
    const std::string key = kv.first.Scalar();
    if (key == "stages" || key == "parameters" || key == "seeds") continue;
    if (key == "config") {
      config_key = kv.first;
      continue;
    }
    out.force_insert(kv.first, kv.second);
  }
  const YAML::Node base = Lookup(root_, "config").value_or(YAML::Node(YAML::NodeType::Map));
  const YAML::Node mine = !st.config.IsNull() ? Substitute(st.config, values) : YAML::Node(YAML::NodeType::Map);
  const YAML::Node config = MergeMaps(base.IsMap() ? base : YAML::Node(YAML::NodeType::Map),
                                      mine.IsMap() ? mine : YAML::Node(YAML::NodeType::Map));
  if (!st.config.IsMap() && !st.config.IsNull()) {
    out.force_insert(YAML::Node("config"), st.config);  // the parser names the error
  } else if (config_key) {
    out.force_insert(config_key, config);
  } else {
    out.force_insert(YAML::Node("config"), config);
  }
  if (!st.parameters.IsNull()) out.force_insert(YAML::Node("parameters"), Substitute(st.parameters, values));
  if (!st.seeds.IsNull()) {
    out.force_insert(YAML::Node("seeds"), st.seeds);
  } else if (auto seeds = Lookup(root_, "seeds")) {
    out.force_insert(YAML::Node("seeds"), *seeds);
  }
  return out;
}

StatusOr<Json> StagedParser::ValuesFor(size_t i, const Json* found) const {
  Json values = Json::object();
  for (const StageRef& ref : stages_[i].spec.refs) {
    if (found == nullptr) {
      values[ref.stage][ref.value] = PlaceholderStageValue(ref.value);
      continue;
    }
    const Json* v = found->contains(ref.stage) ? GetPath((*found)[ref.stage], ref.value) : nullptr;
    if (v == nullptr)
      return FailedPreconditionError(fmt::format("{}: stage '{}' needs ${{{}.{}}}, which stage '{}' has not found",
                                                 file_, stages_[i].spec.name, ref.stage, ref.value, ref.stage));
    values[ref.stage][ref.value] = *v;
  }
  return values;
}

Status StagedParser::CheckStageSpec(size_t i, const SweepSpec& s) const {
  const RawStage& st = stages_[i];
  const std::string path = fmt::format("stages[{}]", i);
  const bool last = i + 1 == stages_.size();
  if (last && st.spec.find != StageFind::kNothing)
    return Error(st.find_line, path + ".find", "the last stage's findings would feed nothing; drop find:");
  if (st.spec.find == StageFind::kNothing) return Status::Ok();
  if (!s.parameters.empty())
    return Error(st.parameters_line, path + ".parameters",
                 "a stage that finds values runs one trial: no parameters (vary them in a later stage)");
  if (s.seeds.size() != 1)
    return Error(st.seeds_line > 0 ? st.seeds_line : s.seeds_line, path + ".seeds",
                 "a stage that finds values runs one trial: give it one seed (seeds: [0])");
  const Json* type = GetPath(s.base_config, "train.lr_schedule.type");
  const std::string schedule = type ? type->get<std::string>() : "reference";
  const Json* epochs_json = GetPath(s.base_config, "train.epochs");
  const int64_t epochs = epochs_json ? epochs_json->get<int64_t>() : 200;
  if (st.spec.find == StageFind::kLrBounds) {
    if (schedule != "range_test")
      return Error(st.find_line, path + ".find",
                   fmt::format("find: lr_bounds reads an LR range test: set train.lr_schedule.type: range_test in "
                               "this stage's config (it is {})", schedule));
    if (epochs < 3) return Error(st.find_line, path + ".find", "the range test needs train.epochs >= 3 (one point per epoch)");
    return Status::Ok();
  }
  if (schedule != "constant")
    return Error(st.find_line, path + ".find",
                 fmt::format("find: plateau reads a constant-lr run: set train.lr_schedule.type: constant in this "
                             "stage's config (it is {})", schedule));
  const Json* defer = GetPath(s.base_config, "method.defer");
  if (defer && defer->get<std::string>() != "none")
    return Error(st.find_line, path + ".find",
                 "find: plateau reads the curve before any deferred re-balancing: set method.defer: none here");
  if (epochs < st.spec.plateau.window + 2)
    return Error(st.find_line, path + ".find",
                 fmt::format("the plateau rule needs train.epochs >= window + 2 = {}", st.spec.plateau.window + 2));
  return Status::Ok();
}

StatusOr<SweepSpec> StagedParser::Run(int stage_index, const Json* found, const ParseRootFn& parse) {
  LTSWEEP_RETURN_IF_ERROR(CheckTop());
  const YAML::Node list = root_["stages"];
  const int line = LineOf(list, 1);
  if (!list.IsSequence() || list.size() < 2)
    return Error(line, "stages", "expected a list of at least two stages (one that finds values, one that uses them)");
  if (list.size() > kMaxStages) return Error(line, "stages", fmt::format("at most {} stages", kMaxStages));
  for (size_t i = 0; i < list.size(); ++i) LTSWEEP_RETURN_IF_ERROR(ParseStage(list[i], i));
  for (size_t i = 0; i < stages_.size(); ++i) {  // after all: a reference to a later stage is named as such
    const std::string path = fmt::format("stages[{}]", i);
    const RawStage& st = stages_[i];
    if (!st.config.IsNull()) LTSWEEP_RETURN_IF_ERROR(CollectRefs(st.config, path + ".config", st.spec.line, i));
    if (!st.parameters.IsNull())
      LTSWEEP_RETURN_IF_ERROR(CollectRefs(st.parameters, path + ".parameters", st.spec.line, i));
  }
  if (stage_index < 0 || static_cast<size_t>(stage_index) >= stages_.size())
    return InvalidArgumentError(fmt::format("{}: no stage {} (the spec has {})", file_, stage_index, stages_.size()));
  std::optional<SweepSpec> chosen;
  for (size_t i = 0; i < stages_.size(); ++i) {
    const bool target = static_cast<int>(i) == stage_index;
    LTSWEEP_ASSIGN_OR_RETURN(Json values, ValuesFor(i, target ? found : nullptr));
    LTSWEEP_ASSIGN_OR_RETURN(SweepSpec s, parse(StageRoot(i, values)));
    LTSWEEP_RETURN_IF_ERROR(CheckStageSpec(i, s));
    if (target) chosen = std::move(s);
  }
  for (const RawStage& st : stages_) chosen->stages.push_back(st.spec);
  chosen->stage_index = stage_index;
  return std::move(*chosen);
}

}  // namespace

StatusOr<SweepSpec> ParseStaged(const YAML::Node& root, const std::string& file, int stage_index, const Json* found,
                                const ParseRootFn& parse) {
  return StagedParser(root, file).Run(stage_index, found, parse);
}

}  // namespace ltsweep::spec::internal
