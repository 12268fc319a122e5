#include "bench/search_replay/replay_summary.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace ltsweep::bench {

Summary Summarize(const std::string& name, const std::vector<ReplaySet>& members, int seeds, int within,
                  const ReplayMethod& method) {
  Summary s;
  s.method = name;
  s.seeds = seeds;
  for (int seed = 0; seed < seeds; ++seed) {
    const ReplaySet& set = members[static_cast<size_t>(seed) % members.size()];
    const double grid_best = set.trials[set.BestTrial()].Result();
    const auto grid_epochs = static_cast<double>(set.trials.size()) * set.epochs;
    const ReplayResult r = method(set, static_cast<uint64_t>(seed));
    s.epochs += static_cast<double>(r.epochs) / seeds;
    s.best += r.best / seeds;
    s.gap_max = std::max(s.gap_max, 100 * (r.best - grid_best));
    s.started += static_cast<double>(r.started) / seeds;
    if (r.trials_to_best > 0) {
      ++s.reached;
      s.to_best += r.trials_to_best;
    }
    s.best_stopped += r.best_trial_stopped;
    const bool near = r.best <= grid_best + kNearBest + 1e-12;
    const bool saving = static_cast<double>(r.epochs) * kTargetSaving <= grid_epochs;
    s.near += near;
    s.saving += saving;
    s.near_and_saving += near && saving;
    s.reached_within += r.trials_to_best > 0 && r.trials_to_best <= within;
    s.near_within += r.trials_to_near > 0 && r.trials_to_near <= within;
  }
  if (s.reached > 0) s.to_best /= s.reached;
  return s;
}

std::string FormatTable(const std::vector<Summary>& rows) {
  std::string out = fmt::format("{:<24} {:>8} {:>7} {:>8} {:>9} {:>7} {:>8} {:>16} {:>12}\n", "method", "epochs",
                                "vs grid", "best %", "gap max", "<=0.5p", "trials", "to grid best", "best stopped");
  const double grid_epochs = rows.front().epochs;
  for (const Summary& s : rows) {
    const std::string to_best = s.reached > 0 ? fmt::format("{:.1f} ({}/{})", s.to_best, s.reached, s.seeds)
                                              : fmt::format("- (0/{})", s.seeds);
    out += fmt::format("{:<24} {:>8.1f} {:>6.2f}x {:>8.2f} {:>8.2f}p {:>4}/{:<2} {:>8.1f} {:>16} {:>9}/{}\n",
                       s.method, s.epochs, grid_epochs / std::max(1.0, s.epochs), 100 * s.best, s.gap_max,
                       s.near, s.seeds, s.started, to_best, s.best_stopped, s.seeds);
  }
  return out;
}

namespace {

// The first number of epochs trained at which `rule` may stop a trial
// whose guard lasts until `until` epochs trained (0: no guard); max_iter
// when there is none.
int64_t FirstStop(const search::EarlyStopRule& rule, int64_t until) {
  if (rule.type == search::EarlyStopType::kMedian) {
    const int64_t at = std::max(rule.min_iter, until);
    return at < rule.max_iter ? at : rule.max_iter;
  }
  for (int64_t rung : search::Rungs(rule))
    if (rung >= until) return rung;
  return rule.max_iter;
}

const Summary* Row(const std::vector<Summary>& rows, const std::string& prefix) {
  for (const Summary& s : rows)
    if (s.method.rfind(prefix, 0) == 0) return &s;
  return nullptr;
}

// "met on every seed" or "MISSED on k/n seeds".
std::string Met(int met, int seeds) {
  return met == seeds ? "met on every seed" : fmt::format("MISSED on {}/{} seeds", seeds - met, seeds);
}

std::string GuardLine(const ReplaySet& set, const search::EarlyStopRule& asha, const search::EarlyStopRule& median) {
  const GuardBound a = ComputeGuardBound(set, asha);
  if (a.deferred == 0) return "  DRW guard: no trial defers re-weighting here; DRW-aware and DRW-blind rules are the same rule.\n";
  search::EarlyStopRule blind = asha;
  blind.respect_drw = false;
  const GuardBound m = ComputeGuardBound(set, median);
  const GuardBound b = ComputeGuardBound(set, blind);
  std::string rungs;
  for (int64_t r : search::Rungs(asha)) rungs += (rungs.empty() ? "" : ", ") + std::to_string(r);
  auto x = [&](int64_t e) { return static_cast<double>(a.grid_epochs) / static_cast<double>(std::max<int64_t>(1, e)); };
  return fmt::format(
      "  DRW guard bound: {} of {} trials defer re-weighting and are kept until {} of {} epochs (drw_epoch + "
      "grace {}); ASHA (rungs {}) {}: a run that finishes the grid's best spends at "
      "least {} of the grid's {} epochs (at most {:.2f}x fewer), median at least {} ({:.2f}x); without the guard "
      "ASHA {} ({:.2f}x).{}\n",
      a.deferred, set.trials.size(), a.protected_until, set.epochs, asha.drw_grace, rungs,
      FirstStop(asha, a.protected_until) < set.epochs
          ? fmt::format("cannot stop them before {} epochs", FirstStop(asha, a.protected_until))
          : fmt::format("has no rung from {} epochs on and cannot stop them at all", a.protected_until),
      a.min_epochs, a.grid_epochs, x(a.min_epochs), m.min_epochs,
      x(m.min_epochs), b.min_epochs, x(b.min_epochs),
      x(a.min_epochs) < kTargetSaving ? fmt::format(" {:.0f}x is out of reach on this set by design.", kTargetSaving)
                                      : "");
}

// Where the set's best trial ranks at each ASHA rung when every trial
// reaches it (its value at a rung as the rule takes it: best so far, or the
// rung's own value when strict): why ASHA keeps or stops it.
std::string RungRankLine(const ReplaySet& set, const search::EarlyStopRule& asha) {
  const size_t best = set.BestTrial();
  std::string ranks;
  for (int64_t rung : search::Rungs(asha)) {
    auto at = [&](const ReplayTrial& t) {
      const auto end = t.curve.begin() + rung;
      return asha.strict ? *(end - 1) : *std::min_element(t.curve.begin(), end);
    };
    const double mine = at(set.trials[best]);
    int rank = 1;
    for (const ReplayTrial& t : set.trials) rank += at(t) < mine;
    ranks += fmt::format("{}{}/{} at {} epoch{}", ranks.empty() ? "" : ", ", rank, set.trials.size(), rung,
                         rung == 1 ? "" : "s");
  }
  return fmt::format("  why: the grid's best trial ({}) ranks {} among all trials ({}); ASHA keeps the top 1/{:g} "
                     "of those that reached a rung\n",
                     set.trials[best].label, ranks, asha.strict ? "value at the rung" : "best so far", asha.eta);
}

}  // namespace

GuardBound ComputeGuardBound(const ReplaySet& set, const search::EarlyStopRule& rule) {
  GuardBound g;
  const size_t best = set.BestTrial();
  g.grid_epochs = static_cast<int64_t>(set.trials.size()) * set.epochs;
  g.protected_until = set.epochs;
  for (size_t i = 0; i < set.trials.size(); ++i) {
    const ReplayTrial& t = set.trials[i];
    int64_t until = 0;
    if (t.drw_epoch) {
      ++g.deferred;
      g.protected_until = std::min(g.protected_until, *t.drw_epoch + rule.drw_grace);
      if (rule.respect_drw) until = *t.drw_epoch + rule.drw_grace;
    }
    g.min_epochs += i == best ? set.epochs : std::min<int64_t>(set.epochs, FirstStop(rule, until));
  }
  return g;
}

std::string FormatTargets(const std::vector<Summary>& rows, const ReplaySet& set, int half,
                          const search::EarlyStopRule& asha, const search::EarlyStopRule& median) {
  std::string out = "targets (per seed):\n";
  if (const Summary* s = Row(rows, "ASHA DRW-aware")) {
    out += fmt::format(
        "  ASHA within 0.5 pt of the grid's best with >= {:.0f}x fewer epochs: {}/{} seeds ({} within 0.5 pt, {} "
        "with >= {:.0f}x fewer; mean {:.2f}x) -> {}\n",
        kTargetSaving, s->near_and_saving, s->seeds, s->near, s->saving, kTargetSaving,
        rows.front().epochs / std::max(1.0, s->epochs), Met(s->near_and_saving, s->seeds));
    out += RungRankLine(set, asha);
  }
  const Summary* aware = Row(rows, "ASHA DRW-aware");
  const Summary* blind = Row(rows, "ASHA DRW-blind");
  const Summary* med_aware = Row(rows, "median DRW-aware");
  const Summary* med_blind = Row(rows, "median DRW-blind");
  const bool deferred = std::any_of(set.trials.begin(), set.trials.end(), [](const ReplayTrial& t) {
    return t.drw_epoch.has_value();
  });
  if (aware && blind && med_aware && med_blind && !deferred) {
    out += fmt::format(
        "  DRW-aware never stops the eventual best where DRW-blind does: not applicable, no trial defers "
        "re-weighting (aware and blind are one rule: both stop the best on {}/{} seeds with ASHA, {}/{} with "
        "median)\n",
        aware->best_stopped, aware->seeds, med_aware->best_stopped, med_aware->seeds);
  } else if (aware && blind && med_aware && med_blind) {
    const int stopped = std::max(aware->best_stopped, med_aware->best_stopped);
    out += fmt::format(
        "  DRW-aware never stops the eventual best: ASHA aware {}/{} vs blind {}/{}, median aware {}/{} vs blind "
        "{}/{} -> {}{}\n",
        aware->best_stopped, aware->seeds, blind->best_stopped, blind->seeds, med_aware->best_stopped,
        med_aware->seeds, med_blind->best_stopped, med_blind->seeds, Met(aware->seeds - stopped, aware->seeds),
        blind->best_stopped + med_blind->best_stopped == 0 ? " (the blind rules do not stop it either)" : "");
  }
  const std::string tpe_name = fmt::format("TPE ({} trials)", half);
  const std::string random_name = fmt::format("random ({} trials)", half);
  if (const Summary* t = Row(rows, tpe_name)) {
    const Summary* r = Row(rows, random_name);
    out += fmt::format(
        "  TPE reaches the grid's best within {} of {} trials: {}/{} seeds (within 0.5 pt: {}/{}); random search "
        "{}/{} ({}/{}) -> {}\n",
        half, set.trials.size(), t->reached_within, t->seeds, t->near_within, t->seeds, r ? r->reached_within : 0,
        t->seeds, r ? r->near_within : 0, t->seeds, Met(t->reached_within, t->seeds));
  }
  out += GuardLine(set, asha, median);
  return out;
}

}  // namespace ltsweep::bench
