#include "coordinator/trial_suggester.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "spec/bayes.h"
#include "spec/sweep_spec.h"

namespace ltsweep::coordinator {
namespace {

struct ParsedSweep {
  spec::SweepSpec spec;
  search::SearchSpace space;
};

class BayesSuggester {
 public:
  StatusOr<std::optional<SuggestedTrial>> Suggest(const SuggestRequest& request);

 private:
  StatusOr<std::shared_ptr<const ParsedSweep>> Parsed(const SuggestRequest& request);

  std::mutex mu_;
  std::map<int64_t, std::shared_ptr<const ParsedSweep>> cache_;  // GUARDED_BY(mu_), by sweep id
};

StatusOr<std::shared_ptr<const ParsedSweep>> BayesSuggester::Parsed(const SuggestRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(request.sweep_id);
    if (it != cache_.end()) return it->second;
  }
  // The spec was checked when it was submitted, under the coordinator's
  // limits; its size is not held against it again.
  spec::SpecLimits limits;
  limits.max_bytes = std::max<int64_t>(limits.max_bytes, static_cast<int64_t>(request.spec_yaml.size()) + 1);
  auto parsed = std::make_shared<ParsedSweep>();
  LTSWEEP_ASSIGN_OR_RETURN(parsed->spec, spec::ParseSweepSpec(request.spec_yaml,
                                                              fmt::format("sweep {}", request.sweep_id), limits));
  LTSWEEP_ASSIGN_OR_RETURN(parsed->space, spec::BayesSpace(parsed->spec));
  std::lock_guard<std::mutex> lock(mu_);
  cache_[request.sweep_id] = parsed;
  return std::shared_ptr<const ParsedSweep>(parsed);
}

StatusOr<search::Point> ParsePoint(const std::string& text, size_t dims) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array() || j.size() != dims) return InvalidArgumentError("trial_params.point_json is not a point: " + text);
  search::Point p;
  for (const Json& v : j) {
    if (!v.is_number()) return InvalidArgumentError("trial_params.point_json is not a point: " + text);
    p.push_back(v.get<double>());
  }
  return p;
}

StatusOr<std::optional<SuggestedTrial>> BayesSuggester::Suggest(const SuggestRequest& request) {
  LTSWEEP_ASSIGN_OR_RETURN(std::shared_ptr<const ParsedSweep> parsed, Parsed(request));
  const double sign = request.metric_goal == "maximize" ? -1.0 : 1.0;
  std::vector<search::Observation> finished;
  std::vector<search::Point> pending;
  std::vector<std::string> hashes;
  for (const SearchTrial& t : request.trials) {
    hashes.push_back(t.config_hash);
    if (t.point_json.empty()) continue;
    LTSWEEP_ASSIGN_OR_RETURN(search::Point p, ParsePoint(t.point_json, parsed->space.size()));
    const TrialObservation o = ObservationOf(t);
    if (o.pending) {
      pending.push_back(std::move(p));
    } else {
      finished.push_back({std::move(p), sign * o.value});
    }
  }
  search::TpeOptions options = spec::BayesTpeOptions(parsed->spec);
  options.seed = request.seed;
  search::TpeSampler sampler(parsed->space, options);
  // Two points can make the same config (e.g. a value the schema
  // normalises): such a point joins the pending ones and TPE is asked again.
  for (int tries = 0; tries < 64; ++tries) {
    std::optional<search::Point> point = sampler.Suggest(finished, pending);
    if (!point) return std::optional<SuggestedTrial>();
    LTSWEEP_ASSIGN_OR_RETURN(spec::ExpandedTrial trial, spec::BayesTrial(parsed->spec, *point));
    if (std::find(hashes.begin(), hashes.end(), trial.hash) != hashes.end()) {
      pending.push_back(std::move(*point));
      continue;
    }
    SuggestedTrial out;
    out.config_hash = trial.hash;
    out.config_json = trial.config.dump();
    out.point_json = Json(*point).dump();
    out.params_json = trial.params.dump();
    return std::optional<SuggestedTrial>(std::move(out));
  }
  return std::optional<SuggestedTrial>();
}

}  // namespace

TrialObservation ObservationOf(const SearchTrial& trial) {
  TrialObservation o;
  switch (trial.state) {
    case TrialState::kSucceeded:
    case TrialState::kLinked:
      if (trial.best_metric) return {false, *trial.best_metric};
      if (trial.last_metric) return {false, *trial.last_metric};
      return o;
    case TrialState::kStopped:
      // Stopped early: observed at the value it was stopped with (its last
      // rung), as Optuna and Ray Tune count a pruned trial.
      if (trial.last_metric) return {false, *trial.last_metric};
      return o;
    default:
      // Queued, leased, running: pending. Failed, cancelled: bad, never again.
      return o;
  }
}

TrialSuggester MakeBayesSuggester() {
  auto suggester = std::make_shared<BayesSuggester>();
  return [suggester](const SuggestRequest& request) { return suggester->Suggest(request); };
}

}  // namespace ltsweep::coordinator
