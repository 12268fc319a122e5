#include "metrics/exposition.h"

#include <cmath>
#include <cstdio>
#include <map>

namespace ltsweep::metrics {

const char* MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", value);
  } else {
    std::snprintf(buf, sizeof(buf), "%.17g", value);
  }
  return buf;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.find(':') != std::string_view::npos || name.substr(0, 2) == "__") return false;
  return IsValidMetricName(name);
}

void AppendHistogram(FamilySnapshot& family, const Labels& labels, const HistogramData& data) {
  for (size_t i = 0; i < data.bounds.size(); ++i) {
    Labels with_le = labels;
    with_le.emplace_back("le", FormatValue(data.bounds[i]));
    family.samples.push_back({"_bucket", std::move(with_le), static_cast<double>(data.cumulative[i])});
  }
  Labels inf = labels;
  inf.emplace_back("le", "+Inf");
  family.samples.push_back({"_bucket", std::move(inf), static_cast<double>(data.count)});
  family.samples.push_back({"_sum", labels, data.sum});
  family.samples.push_back({"_count", labels, static_cast<double>(data.count)});
}

namespace {

void WriteSample(const std::string& name, const Sample& sample, std::string& out) {
  out += name;
  out += sample.suffix;
  if (!sample.labels.empty()) {
    out += '{';
    for (size_t i = 0; i < sample.labels.size(); ++i) {
      if (i > 0) out += ',';
      out += sample.labels[i].first;
      out += "=\"";
      out += EscapeLabelValue(sample.labels[i].second);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += FormatValue(sample.value);
  out += '\n';
}

}  // namespace

std::string WriteText(const std::vector<FamilySnapshot>& families) {
  // Families of one name are written together, under one HELP/TYPE pair, in
  // the order their names first appear.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const FamilySnapshot*>> by_name;
  for (const FamilySnapshot& f : families) {
    auto& list = by_name[f.name];
    if (list.empty()) order.push_back(f.name);
    list.push_back(&f);
  }
  std::string out;
  for (const std::string& name : order) {
    const std::vector<const FamilySnapshot*>& list = by_name[name];
    out += "# HELP " + name + " " + EscapeHelp(list.front()->help) + "\n";
    out += "# TYPE " + name + " " + MetricTypeName(list.front()->type) + "\n";
    for (const FamilySnapshot* f : list) {
      for (const Sample& s : f->samples) WriteSample(name, s, out);
    }
  }
  return out;
}

}  // namespace ltsweep::metrics
