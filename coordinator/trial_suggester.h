// The coordinator's trial suggester for `method: bayes`: what the store
// calls (StoreOptions::suggest_trial, store/store.h) when a worker asks for a
// lease and a bayes sweep has fewer than run_cap trials. It parses the
// sweep's spec (once per sweep, cached), turns the sweep's trials into TPE
// observations and pending points, asks TPE (search/tpe.h) for the next
// point and builds its trial config (spec/bayes.h).
//
// Observations, by trial state (ObservationOf):
//   * succeeded or linked: observed at its best value of the sweep's metric
//     (negated when the goal is maximize); a trial that ended with a partial
//     result (stopped early) is observed at its last value;
//   * queued, leased, running: pending (constant liar: counted as bad);
//   * failed, cancelled, or finished without a metric: pending too, so its
//     config is never suggested again and it counts as bad.
// Observations are taken in ordinal order, so one worker running trials one
// after the other gets the same trials for the same seed every time.
//
// Thread-safety: thread-safe (the cache is guarded by a mutex); the store
// calls it from its writer thread with its own lock held, and it never calls
// the store.
#pragma once

#include <optional>

#include "store/store.h"

namespace ltsweep::coordinator {

// What TPE makes of one trial of the sweep.
struct TrialObservation {
  bool pending = true;  // no result to learn from (yet)
  double value = 0;     // the metric, when not pending
};
TrialObservation ObservationOf(const SearchTrial& trial);

// A TrialSuggester for StoreOptions::suggest_trial.
TrialSuggester MakeBayesSuggester();

}  // namespace ltsweep::coordinator
