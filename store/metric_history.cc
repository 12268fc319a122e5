#include "store/metric_history.h"

#include <limits>
#include <map>
#include <string>
#include <utility>

namespace ltsweep {

namespace {

// name -> epoch -> class -> value, later writes replacing earlier ones.
using PerClassMap = std::map<std::string, std::map<int, std::map<int, double>>>;

void MergePerClass(PerClassMap& merged, MetricHistory& out) {
  for (auto& [name, by_epoch] : merged) {
    for (auto& [epoch, by_class] : by_epoch) {
      if (by_class.empty() || by_class.begin()->first < 0) continue;
      std::vector<double> values(static_cast<size_t>(by_class.rbegin()->first) + 1,
                                 std::numeric_limits<double>::quiet_NaN());
      for (const auto& [c, v] : by_class) values[static_cast<size_t>(c)] = v;
      out.per_class[name][epoch] = std::move(values);
    }
  }
}

}  // namespace

MetricHistory MergeAttempts(const std::vector<TrialMetrics>& attempts) {
  MetricHistory out;
  std::map<std::string, std::map<int, double>> scalars;
  PerClassMap per_class;
  std::map<std::pair<int, std::string>, PayloadRow> payloads;
  for (const TrialMetrics& m : attempts) {
    out.source_trial_id = m.source_trial_id;
    for (const MetricRow& r : m.metrics) scalars[r.name][r.epoch] = r.value;
    for (const PerClassRow& r : m.per_class) per_class[r.name][r.epoch][r.class_index] = r.value;
    for (const PayloadRow& p : m.payloads) payloads[{p.epoch, p.kind}] = p;
  }
  for (auto& [name, by_epoch] : scalars) {
    out.scalars[name] = Series(by_epoch.begin(), by_epoch.end());
  }
  MergePerClass(per_class, out);
  for (auto& [key, row] : payloads) out.payloads.push_back(std::move(row));
  return out;
}

}  // namespace ltsweep
