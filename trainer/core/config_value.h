// Reading one key of a resolved trial config (common/config_schema.h's
// ResolveTrialConfig output) into a typed options field. The schema has
// already checked every value; this only converts, and turns a missing key or
// a wrong JSON type (a config that was not resolved) into a ConfigError that
// names the key.
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/config_schema.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {

// The value at dotted `path` ("method.drw_epoch") as T; throws ConfigError
// "<path>: missing" or "<path>: <conversion error>".
template <typename T>
T ConfigValue(const nlohmann::json& resolved_config, std::string_view path) {
  const nlohmann::json* value = GetPath(resolved_config, path);
  if (value == nullptr) throw ConfigError(fmt::format("{}: missing", path));
  try {
    return value->get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace ltsweep::trainer
