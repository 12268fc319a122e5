#include "spec/early_terminate.h"

#include <algorithm>

#include <fmt/format.h>

#include "spec/expand.h"
#include "spec/yaml_util.h"

namespace ltsweep::spec {

StatusOr<std::optional<search::EarlyStopRule>> ResolveEarlyStop(const SweepSpec& spec,
                                                                 const std::vector<ExpandedTrial>& trials) {
  const EarlyTerminateSpec& et = spec.early_terminate;
  if (et.type == "none") return std::optional<search::EarlyStopRule>();
  search::EarlyStopRule rule;
  rule.type = *search::ParseEarlyStopType(et.type);  // the parser admits only known types
  rule.goal = spec.metric.goal == "maximize" ? search::MetricGoal::kMaximize : search::MetricGoal::kMinimize;
  rule.min_iter = et.min_iter.value_or(0);
  rule.s = et.s.value_or(0);
  rule.eta = et.eta;
  rule.strict = et.strict;
  rule.respect_drw = et.respect_drw;
  rule.drw_grace = et.drw_grace;
  int64_t epochs = 0;
  for (const ExpandedTrial& t : trials) {
    const Json* e = GetPath(t.config, "train.epochs");
    if (e != nullptr && e->is_number_integer()) epochs = std::max(epochs, e->get<int64_t>());
  }
  rule.max_iter = et.max_iter.value_or(epochs);
  if (et.max_iter && epochs > 0 && *et.max_iter > epochs)
    return internal::SpecError(spec.file_name, et.line, "early_terminate.max_iter",
                               fmt::format("{} is above train.epochs ({}): rungs past it are never reached",
                                           *et.max_iter, epochs));
  Status valid = search::ValidateRule(rule);
  if (!valid.ok()) {
    // "early_terminate.<key>: <what>" -> "<file>:<line>: early_terminate.<key>: <what>", naming
    // train.epochs where max_iter came from it.
    std::string msg = valid.message();
    const size_t colon = msg.find(": ");
    std::string what = msg.substr(colon + 2);
    if (!et.max_iter) {
      const std::string from = "max_iter (";
      const size_t at = what.find(from);
      if (at != std::string::npos) what.replace(at, from.size(), "max_iter = train.epochs (");
    }
    return internal::SpecError(spec.file_name, et.line, msg.substr(0, colon), what);
  }
  return std::optional<search::EarlyStopRule>(rule);
}

}  // namespace ltsweep::spec
