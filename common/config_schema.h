// The trial-config schema: every key a trial config may carry, its type,
// default, allowed values and documentation. One table, read by the sweep
// spec validator (spec/), the trainer (trainer/) and the docs
// (docs/sweep-spec.md is generated from the same text).
//
// A trial config is a nested JSON object, e.g.
//   {"data": {"dataset": "fashion_mnist", "imbalance": {"ratio": 100}},
//    "method": {"loss": "ldam", "defer": "drw"}, "train": {"epochs": 4}}
// ResolveTrialConfig() fills in every default, checks every value and returns
// the fully resolved object that `ltsweep-train --config FILE` takes.
//
// Thread-safety: the schema is immutable after first use; all functions are
// safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace ltsweep {

using Json = nlohmann::json;

enum class ValueType { kString, kInt, kNumber, kBool, kIntList, kNumberList };

const char* ValueTypeName(ValueType type);

struct ConfigKey {
  std::string path;                  // dotted, e.g. "train.lr_schedule.min_lr"
  ValueType type;
  Json default_value;
  std::vector<std::string> choices;  // for kString: allowed values (empty = any)
  std::optional<double> min;         // for numbers and ints (and list items): inclusive bounds
  std::optional<double> max;
  std::string doc;                   // one or two sentences for docs/sweep-spec.md
};

// Every key, in documentation order.
const std::vector<ConfigKey>& TrialConfigSchema();

// The key at `path`, or nullptr.
const ConfigKey* FindConfigKey(std::string_view path);

// True when `path` is a prefix of some key ("train", "train.lr_schedule").
bool IsConfigSection(std::string_view path);

// Up to three known keys closest to `path` by edit distance, best first, for
// "did you mean ...?" messages.
std::vector<std::string> SuggestConfigKeys(std::string_view path);

// Checks `value` against `key`: type, choices, bounds. Integers are accepted
// where numbers are expected; a number with an integral value is accepted
// where an integer is expected. The error message starts with the key path.
Status CheckConfigValue(const ConfigKey& key, const Json& value);

// Converts `value` (already checked) to the schema's canonical JSON type:
// kInt -> integer, kNumber -> double, lists item by item.
Json NormalizeConfigValue(const ConfigKey& key, const Json& value);

// The nested object holding every key at its default.
Json DefaultTrialConfig();

// The (normalized) default of the key at `path`. Typed options structs
// initialise their fields with SchemaDefault<T>("method.drw_epoch") so a
// default is written once, in the schema table. Throws std::logic_error for a
// path that is not a key (a programming error).
const Json& ConfigDefault(std::string_view path);
template <typename T>
T SchemaDefault(std::string_view path) {
  return ConfigDefault(path).get<T>();
}

// Reads the value at a dotted path of a nested object; nullptr when absent.
const Json* GetPath(const Json& config, std::string_view path);
// Sets the value at a dotted path, creating intermediate objects.
void SetPath(Json& config, std::string_view path, Json value);

// Fills defaults into `partial` (a nested object; unknown keys are errors),
// checks and normalizes every value, and checks cross-key rules (e.g.
// drw_epoch < epochs when defer != none). Returns the fully resolved config.
StatusOr<Json> ResolveTrialConfig(const Json& partial);

// Flattens a nested config into {"a.b.c": value} pairs (leaves only).
std::vector<std::pair<std::string, Json>> FlattenConfig(const Json& config);

}  // namespace ltsweep
