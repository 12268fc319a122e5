// bench/search_replay: one method's figures over the seeds, the table that
// prints them, and the target lines (issue 13, "Benchmarks"):
//   * ASHA reaches a result within 0.5 points of the grid's best with at
//     least 3x fewer epochs than the grid;
//   * the DRW-aware rule never stops the eventual best trial where the
//     DRW-blind rule does;
//   * TPE reaches the grid's best within half of the grid's trials.
// Each target is counted per seed (how many of the seeds meet it), never
// on the means alone. GuardBound() says how much a rule can save at most on
// a set whose deferred (DRW/DRS) trials its DRW guard protects.
//
// Ownership: plain values. Thread-safety: none needed (single-threaded
// bench).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/search_replay/replay_methods.h"
#include "bench/search_replay/replay_set.h"
#include "search/early_stop.h"

namespace ltsweep::bench {

// ASHA's target saving: at least this many times fewer epochs than the grid.
inline constexpr double kTargetSaving = 3.0;

struct Summary {
  std::string method;
  int seeds = 0;
  double epochs = 0, best = 0, gap_max = 0, started = 0;  // means over the seeds; gap in points
  int reached = 0;          // seeds whose run completed the set's best trial
  double to_best = 0;       // mean trials started until then, over those seeds
  int best_stopped = 0;     // seeds where the set's best trial was stopped
  int near = 0;             // seeds whose best is within kNearBest of the grid's best
  int saving = 0;           // seeds that spent at most 1/kTargetSaving of the grid's epochs
  int near_and_saving = 0;  // seeds with both
  int reached_within = 0;   // seeds that reached the grid's best within `within` trials
  int near_within = 0;      // seeds that got within kNearBest within `within` trials
};

using ReplayMethod = std::function<ReplayResult(const ReplaySet&, uint64_t)>;

// Runs `method` once per seed s on members[s % members.size()]. A seed
// reaches (or nears) the grid's best "within" when it does so by its
// `within`-th started trial.
Summary Summarize(const std::string& name, const std::vector<ReplaySet>& members, int seeds, int within,
                  const ReplayMethod& method);

// The table of one set (header, one row per summary; rows.front() is the
// grid, the reference of "vs grid").
std::string FormatTable(const std::vector<Summary>& rows);

// The least a rule can spend on `set` and still finish the set's best
// trial: every other trial trains until the first epoch at which the rule
// may stop it (a rung for hyperband, min_iter for median, never before
// method.drw_epoch + drw_grace for a deferred trial with the guard on;
// max_iter when no such epoch is left), the best trial all of its epochs.
struct GuardBound {
  int deferred = 0;           // trials with a DRW/DRS epoch
  int64_t protected_until = 0;  // epochs trained before the guard lets the first deferred trial go
  int64_t min_epochs = 0;     // with the rule as given
  int64_t grid_epochs = 0;    // every trial to the end
};
GuardBound ComputeGuardBound(const ReplaySet& set, const search::EarlyStopRule& rule);

// The target lines of one set: `rows` as made by the bench (names starting
// "grid", "ASHA DRW-aware", "ASHA DRW-blind", "median DRW-...", "TPE (k
// trials)" with k half the grid's trials, "random (k trials)"); `set` is
// the first member (for the guard bound), `asha` and `median` the
// DRW-aware rules the rows ran with.
std::string FormatTargets(const std::vector<Summary>& rows, const ReplaySet& set, int half,
                          const search::EarlyStopRule& asha, const search::EarlyStopRule& median);

}  // namespace ltsweep::bench
