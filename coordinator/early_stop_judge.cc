#include "coordinator/early_stop_judge.h"

#include <utility>
#include <vector>

#include <fmt/format.h>

namespace ltsweep::coordinator {

EarlyStopRecord ToEarlyStopRecord(int64_t trial_id, const search::Decision& d) {
  EarlyStopRecord r;
  r.trial_id = trial_id;
  r.epoch = d.epoch;
  if (d.rung >= 0) r.rung = d.rung;
  r.rung_epochs = d.rung_epochs;
  r.stop = d.verdict == search::Verdict::kStop;
  r.guarded = d.guarded;
  r.value = d.value;
  r.threshold = d.threshold;
  r.compared = d.compared;
  r.compared_with = d.summary;
  return r;
}

StatusOr<std::shared_ptr<const EarlyStopJudge::SweepRule>> EarlyStopJudge::RuleOf(int64_t trial_id,
                                                                                  int64_t sweep_id) {
  if (sweep_id != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = sweep_rules_.find(sweep_id);
    if (r != sweep_rules_.end()) return r->second;
  }
  if (sweep_id == 0) {
    LTSWEEP_ASSIGN_OR_RETURN(TrialInfo info, store_.GetTrial(trial_id));
    sweep_id = info.trial.sweep_id;
  }
  LTSWEEP_ASSIGN_OR_RETURN(SweepInfo sweep, store_.GetSweep(sweep_id));
  auto rule = std::make_shared<SweepRule>();
  rule->metric = sweep.sweep.metric_name.empty() ? "val_error" : sweep.sweep.metric_name;
  if (!sweep.sweep.early_terminate_json.empty()) {
    const Json json = Json::parse(sweep.sweep.early_terminate_json, nullptr, false);
    LTSWEEP_ASSIGN_OR_RETURN(search::EarlyStopRule parsed, search::RuleFromJson(json));
    rule->rule = parsed;
  }
  std::lock_guard<std::mutex> lock(mu_);
  return sweep_rules_.emplace(sweep_id, std::move(rule)).first->second;
}

void EarlyStopJudge::JudgeAsync(int64_t trial_id, int64_t sweep_id, const std::string& token, int64_t max_epoch,
                                std::function<void(bool stop, std::string reason)> done) {
  if (max_epoch < 0) return done(false, "");
  auto sweep = RuleOf(trial_id, sweep_id);
  if (!sweep.ok()) {
    Log(fmt::format("early termination of trial {}: {}; it carries on", trial_id, sweep.status().ToString()));
    return done(false, "");
  }
  const std::shared_ptr<const SweepRule> rule = *sweep;
  if (!rule->rule || !search::MayJudgeAt(*rule->rule, max_epoch)) return done(false, "");
  auto curves = store_.GetSweepCurves(trial_id, rule->metric, max_epoch);
  if (!curves.ok()) {
    Log(fmt::format("early termination of trial {}: {}; it carries on", trial_id, curves.status().ToString()));
    return done(false, "");
  }
  search::TrialCurve trial;
  trial.trial_id = trial_id;
  trial.drw_epoch = search::DeferredRebalanceEpoch(Json::parse(curves->config_json, nullptr, false));
  std::vector<search::TrialCurve> others;
  others.reserve(curves->curves.size());
  for (auto& [id, values] : curves->curves) {
    if (id == trial_id) {
      trial.values = std::move(values);
      continue;
    }
    search::TrialCurve c;
    c.trial_id = id;
    c.values = std::move(values);
    others.push_back(std::move(c));
  }
  const search::Decision d = search::Decide(*rule->rule, trial, max_epoch, others);
  if (!d.judged) return done(false, "");
  const bool stop = d.verdict == search::Verdict::kStop;
  std::string line = fmt::format("trial {} after epoch {}: {} ({})", trial_id, max_epoch,
                                 d.guarded ? "continue, DRW guard" : search::VerdictName(d.verdict), d.summary);
  store_.RecordEarlyStopAsync(
      trial_id, token, ToEarlyStopRecord(trial_id, d),
      [this, stop, line = std::move(line), summary = d.summary, done = std::move(done)](Status st) {
        if (!st.ok()) {
          Log(fmt::format("early termination: {}: not recorded ({}); it carries on", line, st.ToString()));
          return done(false, "");
        }
        if (stop) Log("early termination: " + line);
        done(stop, stop ? summary : "");
      });
}

}  // namespace ltsweep::coordinator
