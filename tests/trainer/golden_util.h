// Loads ../shared/reference/golden*.json for the trainer-core tests. Tests that
// use it call LTSWEEP_REQUIRE_SHARED() first.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tests/testing/test_util.h"

namespace ltsweep::testing {

inline nlohmann::json LoadGolden(const std::string& file = "golden.json") {
  return nlohmann::json::parse(ReadFile(SharedDir() / "reference" / file));
}

}  // namespace ltsweep::testing
