// bench/search_replay: the learning curves it replays. A replay set is a
// grid of trials (one choice per axis) with each trial's whole curve of the
// sweep's metric (val_error, lower is better), as recorded from a real sweep
// (bench/data/*.json) or made up (a synthetic family with late bloomers:
// DRW trials that look mediocre until their DRW epoch and then drop below
// everything else).
//
// Ownership: plain values. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config_schema.h"
#include "common/status.h"

namespace ltsweep::bench {

struct ReplayTrial {
  std::vector<int> choice;             // index into each axis
  std::string label;                   // e.g. "lr=0.05 method=ldam+drw"
  std::vector<double> curve;           // metric after epoch index 0, 1, ...
  std::optional<int64_t> drw_epoch;    // set for DRW/DRS trials (0-based)
  double Result() const;               // best value of the curve
};

struct ReplaySet {
  std::string name;
  std::vector<std::string> axes;
  std::vector<std::vector<std::string>> axis_values;  // labels of each axis' values
  std::vector<ReplayTrial> trials;     // every combination of the axes
  int epochs = 0;                      // length of every curve
  // The trial with this choice per axis; nullptr when the grid lacks it.
  const ReplayTrial* Find(const std::vector<int>& choice) const;
  // Index of the trial with the best result (ties: the first).
  size_t BestTrial() const;
};

// Reads a recorded set (bench/data/*.json, made by export_curves.py).
StatusOr<ReplaySet> LoadReplaySet(const std::string& path);

// The synthetic family with late bloomers, one member per seed: 6 learning
// rates x 3 losses x (plain, DRW) = 36 trials of 30 epochs, DRW at epoch 20.
ReplaySet SyntheticFamily(uint64_t seed);

// The set as JSON, in the format LoadReplaySet reads (for the Optuna peer).
Json ReplaySetToJson(const ReplaySet& set);

}  // namespace ltsweep::bench
