// The table of trial-config keys in docs/sweep-spec.md, generated from the
// schema (common/config_schema.h) so the documentation never drifts from
// the code. `ltsweep validate --print-schema` prints it; a test compares it
// with the committed docs.
//
// Thread-safety: pure function.
#pragma once

#include <string>

namespace ltsweep::spec {

// Markers around the generated table in docs/sweep-spec.md.
inline constexpr const char* kSchemaTableBegin = "<!-- BEGIN CONFIG KEYS (generated: ltsweep validate --print-schema) -->";
inline constexpr const char* kSchemaTableEnd = "<!-- END CONFIG KEYS -->";

// A Markdown table: key | type | default | allowed values | description,
// one row per key in schema order, ending with a newline.
std::string RenderConfigKeyTable();

}  // namespace ltsweep::spec
