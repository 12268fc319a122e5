// The end-of-run checks of the chaos harness, read from the results
// database (opened read-only after the coordinator stopped) and from the
// trainers' trace (tests/chaos/trainer_trace.h).
//
// Thread-safety: functions of their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "tests/chaos/trainer_trace.h"

namespace ltsweep::chaos {

struct CheckOptions {
  std::string db_path;
  int64_t sweep_id = 1;
  int epochs = 0;  // epochs per trial: every succeeded trial must have them all
  // Workers that must end up quarantined, each having harmed (an attempt on
  // it that did not succeed) at most max_harmed distinct trials.
  std::vector<std::string> bad_workers;
  int max_harmed = 2;
  // Healthy workers that may be quarantined because the driver gave them an
  // environment fault (the full-disk worker). Any other healthy worker with
  // a quarantine fails the run: being killed, frozen or cut off (lost
  // leases) must not quarantine a worker (issue 11).
  std::vector<std::string> may_be_quarantined;
  // A frozen worker and its trainers resume together, so a thawed trainer
  // whose lease is gone runs until its worker stops it. Such an overlap
  // (after the stale run's thaw) shorter than this is counted apart, not
  // failed: the driver passes one fake epoch, too short for the stale
  // trainer to finish an epoch. 0: every overlap fails.
  double thaw_grace_ms = 0;
};

struct WorkerVerdict {
  std::string worker_id;
  bool quarantined = false;
  std::string how;     // "workers.quarantines = 2", "no quarantine column or event", ...
  int harmed = 0;      // distinct trials with a failed, lost or retried attempt on it
  int attempts = 0;    // attempts it was given
};

struct CheckResult {
  int trials = 0;
  int succeeded = 0;
  int lost = 0;                 // trials not succeeded
  std::vector<std::string> lost_examples;  // "trial 7: failed: <error>"
  int duplicate_successes = 0;  // trials with more than one succeeded attempt
  int duplicate_rows = 0;       // (trial, attempt, epoch, name) keys with more than one row
  int incomplete = 0;           // succeeded trials missing an epoch of val_error
  int lease_overlaps = 0;       // attempt n+1 started before attempt n ended (database)
  int trace_overlaps = 0;       // two trainer runs of one trial ran at once (trace)
  int trace_overlaps_after_thaw = 0;  // within thaw_grace_ms after a thaw (not failures)
  double longest_after_thaw_ms = 0;
  std::vector<std::string> overlap_examples;
  int stale_writes = 0;         // rows or outcomes accepted from an attempt that had ended
  std::vector<std::string> stale_examples;
  int trainer_runs = 0;
  int trainer_runs_killed = 0;  // runs without an end line (SIGKILL, abort)
  std::vector<WorkerVerdict> bad_workers;
  std::vector<std::string> healthy_quarantined;  // not bad, not allowed, quarantined
  std::string quarantine_events;  // "w1 1, blackhole 1": every worker's quarantine events
  std::string integrity;        // "ok" or SQLite's report
  std::vector<std::string> failures;  // one line per failed check; empty: all passed
};

// Runs every check; a Status error only when the database cannot be read.
StatusOr<CheckResult> RunChecks(const CheckOptions& options, const TrainerTrace& trace);

}  // namespace ltsweep::chaos
