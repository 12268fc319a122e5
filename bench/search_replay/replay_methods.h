// bench/search_replay: replaying a search method over recorded curves.
//
// Replay() runs trials the way a sweep would, with `slots` workers in
// lock-step: each step every running trial trains one more epoch (its value
// read from the recorded curve), and with an early-termination rule
// (search/early_stop.h, the coordinator's own rules) each new value is judged
// against the curves of every trial started so far; a stopped trial frees
// its slot. A TrialSource picks the next trial when a slot is free: in a
// fixed order (grid, random) or by TPE (search/tpe.h) from the outcomes so
// far, the running trials counting as pending (constant liar).
//
// Ownership: plain values; a TrialSource is borrowed by Replay().
// Thread-safety: none needed (single-threaded bench).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bench/search_replay/replay_set.h"
#include "search/early_stop.h"
#include "search/tpe.h"

namespace ltsweep::bench {

// A trial that ended: completed (its best value) or stopped (its last).
struct Outcome {
  size_t trial = 0;
  double value = 0;
  bool stopped = false;
};

class TrialSource {
 public:
  virtual ~TrialSource() = default;
  // The next trial to start (index into the set), or nullopt for none now.
  virtual std::optional<size_t> Next(const std::vector<Outcome>& ended, const std::vector<size_t>& running) = 0;
};

// Trials in a fixed order (grid order, or a seeded random permutation).
class OrderSource : public TrialSource {
 public:
  explicit OrderSource(std::vector<size_t> order) : order_(std::move(order)) {}
  std::optional<size_t> Next(const std::vector<Outcome>&, const std::vector<size_t>&) override;

 private:
  std::vector<size_t> order_;
  size_t next_ = 0;
};

// TPE over the set's axes (one categorical dimension each). A completed
// trial is observed at its best value, a stopped one at its last value (as
// the coordinator's suggester observes a stopped trial).
class TpeSource : public TrialSource {
 public:
  TpeSource(const ReplaySet& set, search::TpeOptions options);
  std::optional<size_t> Next(const std::vector<Outcome>& ended, const std::vector<size_t>& running) override;

 private:
  const ReplaySet& set_;
  search::TpeSampler sampler_;
};

// A result within this of the set's best (0.5 points of val_error) counts
// as near it.
inline constexpr double kNearBest = 0.005;

struct ReplayResult {
  int64_t epochs = 0;          // epochs trained, all trials
  int started = 0, completed = 0, stopped = 0;
  double best = 0;             // best result of a completed trial (INFINITY: none)
  // Trials started until one completed with the set's best result (0: never).
  int trials_to_best = 0;
  // Trials started until one completed within kNearBest of it (0: never).
  int trials_to_near = 0;
  bool best_trial_stopped = false;  // the set's best trial was started and stopped
};

// Runs at most max_trials trials of `set` from `source` on `slots` workers,
// stopping trials by `rule` when given.
ReplayResult Replay(const ReplaySet& set, TrialSource& source, const std::optional<search::EarlyStopRule>& rule,
                    int slots, int max_trials);

// A seeded random permutation of 0..n-1.
std::vector<size_t> RandomOrder(size_t n, uint64_t seed);

}  // namespace ltsweep::bench
