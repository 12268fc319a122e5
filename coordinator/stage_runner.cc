#include "coordinator/stage_runner.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "common/trainer_contract.h"
#include "spec/expand.h"
#include "spec/stages.h"

namespace ltsweep::coordinator {

namespace {

std::map<int, double> SeriesOf(const TrialHistory& t, const std::string& name) {
  std::map<int, double> out;
  auto it = t.metrics.scalars.find(name);
  if (it == t.metrics.scalars.end()) return out;
  for (const auto& [epoch, value] : it->second) out[epoch] = value;
  return out;
}

double NumberAt(const Json& config, const char* path, double fallback) {
  const Json* v = GetPath(config, path);
  return v != nullptr && v->is_number() ? v->get<double>() : fallback;
}

bool Usable(TrialState s) { return s == TrialState::kSucceeded || s == TrialState::kLinked; }

}  // namespace

std::vector<search::RangePoint> RangePointsOf(const TrialHistory& trial) {
  const Json config = Json::parse(trial.trial.config_json, nullptr, false);
  const double min_lr = NumberAt(config, "train.lr_schedule.min_lr", 0);
  const double max_lr = NumberAt(config, "train.lr_schedule.max_lr", 0);
  const double epochs = std::max(1.0, NumberAt(config, "train.epochs", 1));
  const auto val_error = SeriesOf(trial, "val_error");
  const auto val_loss = SeriesOf(trial, "val_loss");
  const auto iterations = SeriesOf(trial, "iterations");
  std::vector<search::RangePoint> out;
  for (const auto& [epoch, error] : val_error) {
    const double iters = iterations.count(epoch) ? std::max(1.0, iterations.at(epoch)) : 1000.0;
    const double total = epochs * iters;
    const double frac = total <= 1 ? 0.0 : std::clamp(((epoch + 1) * iters - 1) / (total - 1), 0.0, 1.0);
    const double loss = val_loss.count(epoch) ? val_loss.at(epoch) : std::nan("");
    out.push_back({epoch, min_lr + (max_lr - min_lr) * frac, 1.0 - error, loss});
  }
  return out;
}

std::vector<search::RangePoint> RangeStepsOf(const TrialHistory& trial) {
  std::vector<search::RangePoint> out;
  for (const PayloadRow& row : trial.metrics.payloads) {
    if (row.kind != contract::kEventDone) continue;
    const Json done = Json::parse(row.json, nullptr, false);
    if (!done.is_object()) continue;
    auto curve = done.find(contract::kFieldRangeTestCurve);
    if (curve == done.end() || !curve->is_array()) continue;
    out.clear();  // the last done event wins
    for (const Json& p : *curve) {
      if (!p.is_array() || p.size() < 3 || !p[0].is_number()) continue;
      const double nan = std::nan("");
      out.push_back({static_cast<int>(out.size()), p[0].get<double>(), p[2].is_number() ? p[2].get<double>() : nan,
                     p[1].is_number() ? p[1].get<double>() : nan});
    }
  }
  return out;
}

std::vector<search::CurvePoint> CurvePointsOf(const TrialHistory& trial) {
  const auto train_loss = SeriesOf(trial, "train_loss");
  const auto val_error = SeriesOf(trial, "val_error");
  std::vector<search::CurvePoint> out;
  for (const auto& [epoch, error] : val_error) {
    auto loss = train_loss.find(epoch);
    if (loss != train_loss.end()) out.push_back({epoch, loss->second, error});
  }
  return out;
}

StageOutcome JudgeStage(const spec::StageSpec& stage, const std::vector<TrialHistory>& trials) {
  StageOutcome out;
  if (stage.find == spec::StageFind::kNothing) {
    out.ok = true;
    return out;
  }
  if (trials.size() != 1) {
    out.error = fmt::format("stage '{}' has {} trials; a finding stage runs one", stage.name, trials.size());
    return out;
  }
  const TrialHistory& t = trials[0];
  if (!Usable(t.trial.state)) {
    out.error = fmt::format("stage '{}': its trial {} ended {}{}{}; there is no curve to read", stage.name,
                            t.trial.id, TrialStateName(t.trial.state), t.trial.error.empty() ? "" : ": ",
                            t.trial.error);
    return out;
  }
  out.evidence["trial_id"] = t.trial.id;
  if (stage.find == spec::StageFind::kLrBounds) {
    const auto steps = RangeStepsOf(t);
    const auto points = steps.empty() ? RangePointsOf(t) : steps;
    auto bounds = steps.empty() ? search::FindLrBounds(points, stage.lr_bounds)
                                : search::FindLrBoundsPerStep(points, stage.lr_bounds);
    if (!bounds.ok()) {
      out.error = fmt::format("stage '{}': {}", stage.name, bounds.status().message());
      return out;
    }
    out.values = search::LrBoundsValues(*bounds);
    out.evidence.update(search::LrBoundsEvidence(*bounds, points));
  } else {
    const auto curve = CurvePointsOf(t);
    const Json config = Json::parse(t.trial.config_json, nullptr, false);
    const int epochs = static_cast<int>(NumberAt(config, "train.epochs", 0));
    auto plateau = search::FindPlateau(curve, epochs, stage.plateau);
    if (!plateau.ok()) {
      out.error = fmt::format("stage '{}': {}", stage.name, plateau.status().message());
      return out;
    }
    out.values = search::PlateauValues(*plateau);
    out.evidence.update(search::PlateauEvidence(*plateau, curve));
  }
  out.ok = true;
  return out;
}

StatusOr<int> StageRunner::Tick() {
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<StageToAdvance> ready, store_.StagesToAdvance());
  int n = 0;
  for (const StageToAdvance& r : ready) {
    LTSWEEP_RETURN_IF_ERROR(Advance(r));
    ++n;
  }
  return n;
}

Status StageRunner::Advance(const StageToAdvance& r) {
  const std::string source = r.sweep_name + ".yaml";
  Json found = Json::object();
  for (const StageRecord& s : r.stages) {
    if (s.state == "done" && !s.found_json.empty()) found[s.name] = Json::parse(s.found_json, nullptr, false);
  }
  auto fail = [&](const std::string& error, const Json& evidence) {
    Log(fmt::format("sweep {} failed at stage {}: {}", r.sweep_id, r.stage + 1, error));
    return store_.FailStage(r.sweep_id, r.stage, error, evidence.dump());
  };
  auto spec = spec::ParseStageSpec(r.spec_yaml, source, r.stage, found);
  if (!spec.ok()) return fail("its spec no longer parses: " + spec.status().message(), Json::object());
  const spec::StageSpec& stage = spec->stages[static_cast<size_t>(r.stage)];
  std::vector<TrialHistory> trials;
  for (int64_t id : r.trial_ids) {
    LTSWEEP_ASSIGN_OR_RETURN(TrialHistory h, store_.GetTrialHistory(id));
    trials.push_back(std::move(h));
  }
  StageOutcome outcome = JudgeStage(stage, trials);
  if (!outcome.ok) return fail(outcome.error, outcome.evidence);
  StageAdvance advance;
  advance.sweep_id = r.sweep_id;
  advance.stage = r.stage;
  advance.found_json = outcome.values.dump();
  advance.evidence_json = outcome.evidence.dump();
  if (!r.last) {
    if (stage.find != spec::StageFind::kNothing) found[stage.name] = outcome.values;
    auto next = spec::ParseStageSpec(r.spec_yaml, source, r.stage + 1, found);
    if (!next.ok()) {
      return fail(fmt::format("stage '{}' cannot take the values found ({}): {}",
                              spec->stages[static_cast<size_t>(r.stage) + 1].name, outcome.values.dump(),
                              next.status().message()),
                  outcome.evidence);
    }
    spec::ExpandOptions options;
    options.check_data_paths = false;  // the data lives on the workers
    auto expanded = spec::ExpandSweep(*next, options);
    if (!expanded.ok()) return fail("the next stage does not expand: " + expanded.status().message(), outcome.evidence);
    for (const auto& t : expanded->trials) advance.next_trials.push_back({t.hash, t.config.dump()});
  }
  auto created = store_.AdvanceStage(advance);
  if (!created.ok()) {
    // Another pass got there first (nothing written): not an error.
    if (created.status().code() == StatusCode::kFailedPrecondition) return Status::Ok();
    return created.status();
  }
  Log(fmt::format("sweep {} stage {} ({}) done{}{}", r.sweep_id, r.stage + 1, stage.name,
                  stage.find == spec::StageFind::kNothing ? "" : ", found " + advance.found_json,
                  r.last ? "" : fmt::format("; stage {}: {} trials", r.stage + 2, advance.next_trials.size())));
  return Status::Ok();
}

}  // namespace ltsweep::coordinator
