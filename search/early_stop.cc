#include "search/early_stop.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace ltsweep::search {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// True when `a` is strictly better than `b`; NaN is worse than any number.
bool Better(MetricGoal goal, double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return goal == MetricGoal::kMinimize ? a < b : a > b;
}

// The best value of `curve` at epoch indices <= `last`; NaN when none.
double BestUpTo(MetricGoal goal, const std::map<int64_t, double>& curve, int64_t last) {
  double best = kNaN;
  for (auto it = curve.begin(); it != curve.end() && it->first <= last; ++it)
    if (std::isnan(best) || Better(goal, it->second, best)) best = it->second;
  return best;
}

// The value a curve brings to the rung of `rung_epochs` epochs trained:
// nullopt when it has not reached the rung; else its value at the first
// epoch that reached it (strict) or its best up to that epoch (lenient).
std::optional<double> RungValue(const EarlyStopRule& rule, const std::map<int64_t, double>& curve,
                                int64_t rung_epochs) {
  auto it = curve.lower_bound(rung_epochs - 1);  // epoch index e covers e + 1 epochs
  if (it == curve.end()) return std::nullopt;
  if (rule.strict) return it->second;
  return BestUpTo(rule.goal, curve, it->first);
}

std::string Num(double v) { return std::isnan(v) ? "nan" : fmt::format("{:.4g}", v); }

// Applies the DRW guard to a stop verdict.
void ApplyGuard(const EarlyStopRule& rule, const TrialCurve& trial, Decision* d) {
  if (d->verdict != Verdict::kStop || !rule.respect_drw || !trial.drw_epoch) return;
  const int64_t until = *trial.drw_epoch + rule.drw_grace;  // epochs trained
  if (d->epoch + 1 >= until) return;
  d->verdict = Verdict::kContinue;
  d->guarded = true;
  d->summary += fmt::format("; kept by the DRW guard until {} epochs (method.drw_epoch {} + drw_grace {})",
                            until, *trial.drw_epoch, rule.drw_grace);
}

Decision DecideHyperband(const EarlyStopRule& rule, const TrialCurve& trial, int64_t epoch,
                         const std::vector<TrialCurve>& others) {
  Decision d;
  d.epoch = epoch;
  auto prev = trial.values.lower_bound(epoch);
  const int64_t prev_trained = prev == trial.values.begin() ? 0 : std::prev(prev)->first + 1;
  const std::vector<int64_t> rungs = Rungs(rule);
  int rung = -1;
  for (size_t i = 0; i < rungs.size(); ++i)
    if (prev_trained < rungs[i] && rungs[i] <= epoch + 1) rung = static_cast<int>(i);
  if (rung < 0) return d;
  const int64_t at = rungs[static_cast<size_t>(rung)];
  const double mine = *RungValue(rule, trial.values, at);
  int better = 0, n = 1;
  std::vector<double> values{mine};
  for (const auto& other : others) {
    if (other.trial_id == trial.trial_id) continue;
    std::optional<double> v = RungValue(rule, other.values, at);
    if (!v) continue;
    ++n;
    values.push_back(*v);
    if (Better(rule.goal, *v, mine)) ++better;
  }
  const int keep = std::max(1, static_cast<int>(std::floor(n / rule.eta + 1e-9)));
  std::sort(values.begin(), values.end(), [&](double a, double b) { return Better(rule.goal, a, b); });
  d.judged = true;
  d.rung = rung;
  d.rung_epochs = at;
  d.value = mine;
  d.compared = n;
  d.keep = keep;
  d.threshold = values[static_cast<size_t>(keep - 1)];
  d.verdict = better < keep ? Verdict::kContinue : Verdict::kStop;
  d.summary = fmt::format("rung {} ({} epochs): {} ranks {} of {}; the top {} carry on (cut-off {})", rung, at,
                          Num(mine), better + 1, n, keep, Num(d.threshold));
  return d;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Decision DecideMedian(const EarlyStopRule& rule, const TrialCurve& trial, int64_t epoch,
                      const std::vector<TrialCurve>& others) {
  Decision d;
  d.epoch = epoch;
  std::vector<double> at_epoch;
  for (const auto& other : others) {
    if (other.trial_id == trial.trial_id) continue;
    auto it = other.values.find(epoch);
    if (it != other.values.end() && !std::isnan(it->second)) at_epoch.push_back(it->second);
  }
  if (static_cast<int>(at_epoch.size()) < std::max(1, rule.min_others)) return d;
  const double best = BestUpTo(rule.goal, trial.values, epoch);
  const double median = Median(at_epoch);
  d.judged = true;
  d.rung_epochs = epoch + 1;
  d.value = best;
  d.threshold = median;
  d.compared = static_cast<int>(at_epoch.size());
  d.verdict = Better(rule.goal, median, best) ? Verdict::kStop : Verdict::kContinue;
  d.summary = fmt::format("epoch {} ({} epochs): best so far {} vs the median {} of {} other trial(s)", epoch,
                          epoch + 1, Num(best), Num(median), at_epoch.size());
  return d;
}

}  // namespace

const char* EarlyStopTypeName(EarlyStopType type) {
  return type == EarlyStopType::kHyperband ? "hyperband" : "median";
}

std::optional<EarlyStopType> ParseEarlyStopType(const std::string& name) {
  if (name == "hyperband") return EarlyStopType::kHyperband;
  if (name == "median") return EarlyStopType::kMedian;
  return std::nullopt;
}

const char* VerdictName(Verdict v) { return v == Verdict::kStop ? "stop" : "continue"; }

Status ValidateRule(const EarlyStopRule& rule) {
  auto bad = [](const std::string& key, const std::string& what) {
    return InvalidArgumentError("early_terminate." + key + ": " + what);
  };
  if (!(rule.eta > 1) || !std::isfinite(rule.eta)) return bad("eta", fmt::format("{} must be greater than 1", rule.eta));
  if (rule.max_iter < 1) return bad("max_iter", fmt::format("{} must be at least 1", rule.max_iter));
  if (rule.drw_grace < 0) return bad("drw_grace", fmt::format("{} must be 0 or more", rule.drw_grace));
  const bool from_max = rule.type == EarlyStopType::kHyperband && rule.min_iter == 0;
  if (!from_max && rule.min_iter < 1) return bad("min_iter", fmt::format("{} must be at least 1", rule.min_iter));
  if (!from_max && rule.min_iter >= rule.max_iter)
    return bad("min_iter", fmt::format("{} is not below max_iter ({}): no trial could be stopped; lower it or "
                                       "raise train.epochs",
                                       rule.min_iter, rule.max_iter));
  if (from_max && (rule.s < 1 || rule.s > 100)) return bad("s", fmt::format("{} must be between 1 and 100", rule.s));
  if (rule.type == EarlyStopType::kHyperband && Rungs(rule).empty())
    return bad("s", fmt::format("max_iter {} / eta {} is below 1 epoch: no rung to judge at", rule.max_iter,
                                rule.eta));
  return Status::Ok();
}

std::vector<int64_t> Rungs(const EarlyStopRule& rule) {
  std::vector<int64_t> rungs;
  if (rule.type != EarlyStopType::kHyperband || !(rule.eta > 1)) return rungs;
  if (rule.min_iter > 0) {
    double band = static_cast<double>(rule.min_iter);
    for (int k = 0; k < 100 && band < static_cast<double>(rule.max_iter); ++k, band *= rule.eta) {
      const auto r = static_cast<int64_t>(std::floor(band + 1e-9));
      if (r < rule.max_iter && (rungs.empty() || rungs.back() < r)) rungs.push_back(r);
    }
    return rungs;
  }
  double band = static_cast<double>(rule.max_iter);
  for (int64_t i = 0; i < rule.s && i < 100; ++i) {
    band /= rule.eta;
    if (band < 1) break;
    const auto r = static_cast<int64_t>(std::floor(band + 1e-9));
    if (std::find(rungs.begin(), rungs.end(), r) == rungs.end()) rungs.push_back(r);
  }
  std::sort(rungs.begin(), rungs.end());
  return rungs;
}

std::string DescribeRule(const EarlyStopRule& rule) {
  std::string guard = rule.respect_drw
                          ? fmt::format("; DRW/DRS trials are kept until method.drw_epoch + {} epochs", rule.drw_grace)
                          : "; no DRW guard (respect_drw: false)";
  const char* goal = rule.goal == MetricGoal::kMinimize ? "lower" : "higher";
  if (rule.type == EarlyStopType::kMedian)
    return fmt::format("median: from {} epochs on, a trial whose best so far is worse than the median of the "
                       "others at the same epoch stops ({} is better; {} epochs in all){}",
                       rule.min_iter, goal, rule.max_iter, guard);
  std::string rungs;
  for (int64_t r : Rungs(rule)) rungs += (rungs.empty() ? "" : ", ") + std::to_string(r);
  return fmt::format("hyperband (ASHA): rungs at {} of {} epochs; a trial carries on past a rung only in the top "
                     "1/{} of the trials that reached it ({} is better, {}){}",
                     rungs, rule.max_iter, rule.eta, goal,
                     rule.strict ? "value at the rung" : "best value so far", guard);
}

Json RuleToJson(const EarlyStopRule& rule) {
  return Json{{"type", EarlyStopTypeName(rule.type)},
              {"goal", rule.goal == MetricGoal::kMinimize ? "minimize" : "maximize"},
              {"min_iter", rule.min_iter},
              {"max_iter", rule.max_iter},
              {"s", rule.s},
              {"eta", rule.eta},
              {"strict", rule.strict},
              {"respect_drw", rule.respect_drw},
              {"drw_grace", rule.drw_grace},
              {"min_others", rule.min_others}};
}

StatusOr<EarlyStopRule> RuleFromJson(const Json& json) {
  EarlyStopRule rule;
  try {
    std::optional<EarlyStopType> type = ParseEarlyStopType(json.at("type").get<std::string>());
    if (!type) return InvalidArgumentError("early_terminate.type: unknown type " + json.at("type").dump());
    rule.type = *type;
    rule.goal = json.at("goal").get<std::string>() == "maximize" ? MetricGoal::kMaximize : MetricGoal::kMinimize;
    rule.min_iter = json.at("min_iter").get<int64_t>();
    rule.max_iter = json.at("max_iter").get<int64_t>();
    rule.s = json.at("s").get<int64_t>();
    rule.eta = json.at("eta").get<double>();
    rule.strict = json.at("strict").get<bool>();
    rule.respect_drw = json.at("respect_drw").get<bool>();
    rule.drw_grace = json.at("drw_grace").get<int64_t>();
    rule.min_others = json.value("min_others", 1);
  } catch (const Json::exception& e) {
    return InvalidArgumentError(std::string("early_terminate rule: ") + e.what());
  }
  LTSWEEP_RETURN_IF_ERROR(ValidateRule(rule));
  return rule;
}

std::optional<int64_t> DeferredRebalanceEpoch(const Json& config) {
  if (!config.is_object()) return std::nullopt;
  auto method = config.find("method");
  if (method == config.end() || !method->is_object()) return std::nullopt;
  auto defer = method->find("defer");
  if (defer == method->end() || !defer->is_string()) return std::nullopt;
  const std::string d = defer->get<std::string>();
  if (d != "drw" && d != "drs") return std::nullopt;
  auto at = method->find("drw_epoch");
  if (at == method->end() || !at->is_number()) return SchemaDefault<int64_t>("method.drw_epoch");
  return at->get<int64_t>();
}

bool MayJudgeAt(const EarlyStopRule& rule, int64_t epoch) {
  const int64_t trained = epoch + 1;
  if (trained >= rule.max_iter) return false;
  if (rule.type == EarlyStopType::kMedian) return trained >= rule.min_iter;
  std::vector<int64_t> rungs = Rungs(rule);
  return !rungs.empty() && trained >= rungs.front();
}

Decision Decide(const EarlyStopRule& rule, const TrialCurve& trial, int64_t epoch,
                const std::vector<TrialCurve>& others) {
  Decision none;
  none.epoch = epoch;
  // Only the newest epoch of the trial is judged; re-sent rows are not.
  if (trial.values.empty() || trial.values.rbegin()->first != epoch) return none;
  if (!MayJudgeAt(rule, epoch)) return none;
  Decision d = rule.type == EarlyStopType::kHyperband ? DecideHyperband(rule, trial, epoch, others)
                                                      : DecideMedian(rule, trial, epoch, others);
  if (d.judged) ApplyGuard(rule, trial, &d);
  return d;
}

}  // namespace ltsweep::search
