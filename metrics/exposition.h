// The Prometheus text exposition format, version 0.0.4: what /metrics
// answers (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
//   std::vector<FamilySnapshot> families = registry.Collect();
//   families.push_back(ComputedAtScrape());       // e.g. read from the store
//   std::string body = WriteText(families);       // served as kContentType
//
// A FamilySnapshot is one metric family as it is at one moment: its name,
// help text, type and samples. Histogram families hold the samples
// AppendHistogram writes (`_bucket{le=...}` cumulative with a final
// `le="+Inf"`, `_sum`, `_count`). WriteText writes one `# HELP` and one
// `# TYPE` line per family name (families of the same name are merged, in
// the order given), escapes help text (\\, \n) and label values (\\, ", \n),
// and writes values as Prometheus parses them (integers without a fraction,
// +Inf, -Inf, NaN).
//
// Ownership: plain values. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ltsweep::metrics {

// What /metrics answers with.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };
const char* MetricTypeName(MetricType type);  // "counter", "gauge", "histogram"

// Label name -> value, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string suffix;  // "" or, in histograms, "_bucket", "_sum", "_count"
  Labels labels;
  double value = 0;
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Sample> samples;
};

// A histogram's state: `bounds` ascending upper bounds (the +Inf bucket is
// implicit), `cumulative[i]` the observations <= bounds[i], plus `count`
// (all of them, the +Inf bucket) and `sum`.
struct HistogramData {
  std::vector<double> bounds;
  std::vector<uint64_t> cumulative;  // bounds.size() entries
  uint64_t count = 0;
  double sum = 0;
};

// Appends the `_bucket` (one per bound, then le="+Inf"), `_sum` and `_count`
// samples of one histogram with these labels.
void AppendHistogram(FamilySnapshot& family, const Labels& labels, const HistogramData& data);

// The exposition text of `families`.
std::string WriteText(const std::vector<FamilySnapshot>& families);

// Escaping and number formats of the text format (exposed for tests).
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
std::string FormatValue(double value);

// Whether `name` is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label
// name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__").
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace ltsweep::metrics
