#include "spec/yaml_util.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "common/edit_distance.h"
#include "spec/yaml_scalar.h"

namespace ltsweep::spec::internal {

int LineOf(const YAML::Node& node, int fallback) {
  if (!node.IsDefined()) return fallback;
  int line = node.Mark().line;
  return line >= 0 ? line + 1 : fallback;
}

Status SpecError(const std::string& file, int line, std::string_view path, std::string_view what) {
  return InvalidArgumentError(fmt::format("{}:{}: {}: {}", file, line, path, what));
}

Status OutOfMemoryError(const std::string& file, std::string_view doing) {
  return ResourceExhaustedError(fmt::format(
      "{}: out of memory while {} the spec; it asks for more than this process can hold (a smaller sweep, or "
      "fewer values, will do)",
      file, doing));
}

bool IsQuoted(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "!"; }

Json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      if (IsQuoted(node)) return node.Scalar();
      return PlainScalarToJson(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

std::vector<std::string> Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  // (edit distance, length difference): among equally close names, the one
  // of the same length wins ("valuse" -> "values" rather than "value").
  std::vector<std::tuple<size_t, size_t, std::string>> scored;
  for (const auto& c : candidates) {
    size_t len_diff = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    scored.emplace_back(EditDistance(word, c, AdjacentSwap::kOneEdit), len_diff, c);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  std::vector<std::string> out;
  size_t limit = std::max<size_t>(2, word.size() / 3);
  for (const auto& [d, len_diff, c] : scored) {
    if (d > limit || out.size() >= 3) break;
    out.push_back(c);
  }
  return out;
}

std::string DidYouMean(const std::vector<std::string>& suggestions) {
  if (suggestions.empty()) return "";
  return fmt::format(" (did you mean '{}'?)", suggestions[0]);
}

std::string Brief(const Json& value) {
  std::string s = value.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

}  // namespace ltsweep::spec::internal
