#include "spec/config_doc.h"

#include <fmt/format.h>

#include "common/config_schema.h"
#include "common/text_defaults.h"

namespace ltsweep::spec {
namespace {

std::string EscapeCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string Number(double d) {
  if (d == 4294967295.0) return "2^32-1";
  return fmt::format("{}", d);
}

std::string Allowed(const ConfigKey& key) {
  if (!key.choices.empty()) {
    std::string s;
    for (const auto& c : key.choices) s += (s.empty() ? "" : ", ") + ("`" + c + "`");
    return s;
  }
  if (key.type == ValueType::kBool) return "`true`, `false`";
  if (key.min && key.max) return fmt::format("{} .. {}", Number(*key.min), Number(*key.max));
  if (key.min) return fmt::format(">= {}", Number(*key.min));
  if (key.max) return fmt::format("<= {}", Number(*key.max));
  return "any";
}

}  // namespace

std::string RenderConfigKeyTable() {
  std::string out = "| key | type | default | allowed | description |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& key : TrialConfigSchema()) {
    std::string def = "`" + EscapeCell(NormalizeConfigValue(key, key.default_value).dump()) + "`";
    if (const Json* text = TextTrackDefault(key.path))
      def += " (imdb: `" + EscapeCell(NormalizeConfigValue(key, *text).dump()) + "`)";
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", key.path, ValueTypeName(key.type), def,
                       EscapeCell(Allowed(key)), EscapeCell(key.doc));
  }
  return out;
}

}  // namespace ltsweep::spec
