#include "bench/search_replay/replay_methods.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace ltsweep::bench {

std::optional<size_t> OrderSource::Next(const std::vector<Outcome>&, const std::vector<size_t>&) {
  if (next_ >= order_.size()) return std::nullopt;
  return order_[next_++];
}

namespace {

search::SearchSpace AxesSpace(const ReplaySet& set) {
  search::SearchSpace space;
  for (size_t a = 0; a < set.axes.size(); ++a) {
    search::Dimension d;
    d.name = set.axes[a];
    d.kind = search::DimensionKind::kCategorical;
    d.choices = static_cast<int64_t>(set.axis_values[a].size());
    space.push_back(d);
  }
  return space;
}

search::Point PointOf(const ReplayTrial& t) { return search::Point(t.choice.begin(), t.choice.end()); }

}  // namespace

TpeSource::TpeSource(const ReplaySet& set, search::TpeOptions options)
    : set_(set), sampler_(AxesSpace(set), options) {}

std::optional<size_t> TpeSource::Next(const std::vector<Outcome>& ended, const std::vector<size_t>& running) {
  std::vector<search::Observation> finished;
  for (const Outcome& o : ended) finished.push_back({PointOf(set_.trials[o.trial]), o.value});
  std::vector<search::Point> pending;
  for (size_t r : running) pending.push_back(PointOf(set_.trials[r]));
  // A point the recording lacks (an incomplete grid) joins the pending ones.
  for (int tries = 0; tries < 256; ++tries) {
    std::optional<search::Point> p = sampler_.Suggest(finished, pending);
    if (!p) return std::nullopt;
    const std::vector<int> choice(p->begin(), p->end());
    for (size_t i = 0; i < set_.trials.size(); ++i)
      if (set_.trials[i].choice == choice) return i;
    pending.push_back(*p);
  }
  return std::nullopt;
}

std::vector<size_t> RandomOrder(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed * 104729 + 3);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);  // Fisher-Yates
  return order;
}

namespace {

struct Running {
  size_t trial;
  size_t curve;  // index into the curves of started trials
};

}  // namespace

ReplayResult Replay(const ReplaySet& set, TrialSource& source, const std::optional<search::EarlyStopRule>& rule,
                    int slots, int max_trials) {
  ReplayResult result;
  result.best = INFINITY;
  const size_t best_trial = set.BestTrial();
  const double best_value = set.trials[best_trial].Result();
  std::vector<search::TrialCurve> curves;
  std::vector<Running> running;
  std::vector<Outcome> ended;
  for (;;) {
    while (static_cast<int>(running.size()) < slots && result.started < max_trials) {
      std::vector<size_t> busy;
      for (const Running& r : running) busy.push_back(r.trial);
      std::optional<size_t> next = source.Next(ended, busy);
      if (!next) break;
      search::TrialCurve c;
      c.trial_id = static_cast<int64_t>(curves.size()) + 1;
      c.drw_epoch = set.trials[*next].drw_epoch;
      curves.push_back(std::move(c));
      running.push_back({*next, curves.size() - 1});
      ++result.started;
    }
    if (running.empty()) break;
    std::vector<Running> still;
    for (const Running& r : running) {
      search::TrialCurve& c = curves[r.curve];
      const ReplayTrial& t = set.trials[r.trial];
      const auto e = static_cast<int64_t>(c.values.size());
      c.values[e] = t.curve[static_cast<size_t>(e)];
      ++result.epochs;
      if (e + 1 == set.epochs) {
        ++result.completed;
        ended.push_back({r.trial, t.Result(), false});
        result.best = std::min(result.best, t.Result());
        if (result.trials_to_best == 0 && t.Result() <= best_value) result.trials_to_best = result.started;
        if (result.trials_to_near == 0 && t.Result() <= best_value + kNearBest + 1e-12)
          result.trials_to_near = result.started;
        continue;
      }
      if (rule) {
        const search::Decision d = search::Decide(*rule, c, e, curves);
        if (d.judged && d.verdict == search::Verdict::kStop) {
          ++result.stopped;
          ended.push_back({r.trial, c.values.rbegin()->second, true});
          if (r.trial == best_trial) result.best_trial_stopped = true;
          continue;
        }
      }
      still.push_back(r);
    }
    running = std::move(still);
  }
  return result;
}

}  // namespace ltsweep::bench
