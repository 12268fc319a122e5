#include "spec/schedule_checks.h"

#include <map>

#include <fmt/format.h>

namespace ltsweep::spec {

std::optional<int64_t> FirstLrDropEpoch(const Json& config) {
  const Json& schedule = config["train"]["lr_schedule"];
  const std::string type = schedule["type"].get<std::string>();
  if (type != "reference" && type != "step" && type != "triangular") return std::nullopt;
  if (schedule["gamma"].get<double>() >= 1.0) return std::nullopt;
  const Json& milestones = schedule["milestones"];
  const int64_t epochs = config["train"]["epochs"].get<int64_t>();
  // Milestones are strictly increasing (ResolveTrialConfig); the first one
  // inside the run is the first drop.
  for (const Json& m : milestones) {
    if (m.get<int64_t>() < epochs) return m.get<int64_t>();
  }
  return std::nullopt;
}

std::optional<std::string> DeferralWarning(const Json& config) {
  const std::string defer = config["method"]["defer"].get<std::string>();
  if (defer != "drw" && defer != "drs") return std::nullopt;
  const int64_t start = config["method"]["drw_epoch"].get<int64_t>();
  const std::string what = defer == "drw" ? "DRW" : "DRS";
  const std::optional<int64_t> drop = FirstLrDropEpoch(config);
  if (!drop) {
    return fmt::format(
        "method.drw_epoch {}: {} starts but the learning rate does not drop within the {} epochs "
        "(train.lr_schedule.type {}); the reference starts it at the first drop",
        start, what, config["train"]["epochs"].get<int64_t>(),
        config["train"]["lr_schedule"]["type"].get<std::string>());
  }
  if (start >= *drop) return std::nullopt;
  return fmt::format(
      "method.drw_epoch {}: {} starts before the learning rate's first drop at epoch {} "
      "(train.lr_schedule.milestones); the reference starts it at the first drop",
      start, what, *drop);
}

std::vector<std::string> DeferralWarnings(const ExpandedSweep& expanded) {
  std::vector<std::string> order;
  std::map<std::string, int64_t> counts;
  for (const ExpandedTrial& trial : expanded.trials) {
    std::optional<std::string> warning = DeferralWarning(trial.config);
    if (!warning) continue;
    if (counts[*warning]++ == 0) order.push_back(*warning);
  }
  std::vector<std::string> out;
  for (const std::string& w : order) {
    const int64_t n = counts[w];
    out.push_back(n > 1 ? fmt::format("{} ({} trial configs)", w, n) : w);
  }
  return out;
}

}  // namespace ltsweep::spec
