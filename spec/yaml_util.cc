#include "spec/yaml_util.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>
#include <tuple>

#include <fmt/format.h>

#include "common/edit_distance.h"

namespace ltsweep::spec::internal {
namespace {

Json PlainScalarToJson(const std::string& s) {
  static const std::regex kNull("^(~|null|Null|NULL|)$");
  static const std::regex kTrue("^(true|True|TRUE)$");
  static const std::regex kFalse("^(false|False|FALSE)$");
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$");
  static const std::regex kInf("^[-+]?\\.(inf|Inf|INF)$");
  static const std::regex kNan("^\\.(nan|NaN|NAN)$");
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kTrue)) return true;
  if (std::regex_match(s, kFalse)) return false;
  if (std::regex_match(s, kInt)) {
    errno = 0;
    long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno != ERANGE) return static_cast<int64_t>(v);
    return std::strtod(s.c_str(), nullptr);
  }
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  // JSON cannot hold inf or nan; keep them as strings so the schema rejects
  // them with "expected a number, got ...".
  if (std::regex_match(s, kInf) || std::regex_match(s, kNan)) return s;
  return s;
}

}  // namespace

int LineOf(const YAML::Node& node, int fallback) {
  if (!node.IsDefined()) return fallback;
  int line = node.Mark().line;
  return line >= 0 ? line + 1 : fallback;
}

Status SpecError(const std::string& file, int line, std::string_view path, std::string_view what) {
  return InvalidArgumentError(fmt::format("{}:{}: {}: {}", file, line, path, what));
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
