// Live progress of a sweep for `ltsweep run` and `ltsweep watch`: a
// snapshot of the sweep (counts, each running trial's epoch and loss, an
// ETA) taken from the coordinator, and a renderer that draws it on stderr.
//
// The ETA counts epochs: the epochs finished since `start` (trials that
// succeeded, plus each running trial's current epoch) against the epochs
// left (train.epochs of every unfinished trial minus its current epoch).
// Trials that were reused or had finished before `start` do not count as
// speed.
//
// On a terminal the renderer redraws its block in place (ANSI cursor-up and
// erase); otherwise (a pipe, a log file) it prints only the lines that
// changed since the last frame (a change of the ETA alone does not count),
// so a log gets one line per change.
//
// Thread-safety: not thread-safe; one renderer per output stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "cli/coordinator_client.h"
#include "common/status.h"

namespace ltsweep::cli {

struct RunningTrial {
  int64_t trial_id = 0;
  int epoch = 0;   // epochs finished (the trainer numbers them from 0)
  int epochs = 0;  // train.epochs of its config (0 when unknown)
  std::optional<double> loss;  // train_loss of the last finished epoch
  std::string worker_id;
};

struct SweepProgress {
  int64_t sweep_id = 0;
  std::string name;
  std::string state;
  // succeeded includes reused (linked) trials; running includes leased ones;
  // stopped: ended by early termination (neither succeeded nor failed).
  int total = 0, queued = 0, running = 0, succeeded = 0, reused = 0, failed = 0, cancelled = 0, stopped = 0;
  // method: bayes: trials are made as workers ask, up to run_cap (0: all
  // trials exist from the start).
  int run_cap = 0;
  int expected = 0;  // trials submitted (total counts those in so far while "submitting")
  // A staged sweep (stages:): "stage 2/3 plateau"; its later stages' trials
  // do not exist yet, so only the sweep's state says it ended.
  std::string stage;
  std::vector<RunningTrial> running_trials;
  int64_t epochs_total = 0;  // over unfinished and this-run-finished trials
  int64_t epochs_done = 0;
  // Seconds left, when enough is known.
  std::optional<double> eta_s;

  // Every trial is terminal (or the sweep says it ended).
  bool Finished() const {
    if (state == "submitting") return false;
    if (!stage.empty()) return state == "done" || state == "failed" || state == "cancelled";
    return state == "done" || state == "failed" || state == "cancelled" ||
           (total > 0 && queued + running == 0 && total >= run_cap);
  }
};

// Tracks one sweep across polls (remembers what was finished at the start).
class ProgressTracker {
 public:
  // Speed is measured from now, on the trials that finish from now on.
  explicit ProgressTracker(int64_t sweep_id);
  // Speed is measured from `since_unix_ms` (e.g. the sweep's creation), on
  // every trial that ran (reused ones excepted): for one-shot `status`.
  ProgressTracker(int64_t sweep_id, int64_t since_unix_ms);
  // Reads GetSweep (counts and epoch sums), the leased and running trials
  // (ListTrials with a state filter) and, for each, QueryMetrics: never the
  // whole sweep.
  StatusOr<SweepProgress> Poll(CoordinatorClient& client);

 private:
  int64_t sweep_id_;
  std::chrono::steady_clock::time_point start_;
  int64_t since_unix_ms_ = 0;  // 0: measure from start_
  bool first_ = true;
  int64_t baseline_done_ = 0;  // epochs_done at the first poll (not speed)
};

// "2m05s", "45s", "1h02m".
std::string FormatSeconds(double seconds);

// The lines of one frame: a summary line, then one bar per running trial.
std::vector<std::string> ProgressLines(const SweepProgress& p);

class ProgressRenderer {
 public:
  // `tty`: redraw in place; else print changed lines only.
  ProgressRenderer(std::ostream& out, bool tty) : out_(out), tty_(tty) {}
  void Draw(const SweepProgress& p);
  // Leaves the last frame on screen and moves below it.
  void Finish();

 private:
  std::ostream& out_;
  bool tty_;
  size_t drawn_ = 0;
  std::vector<std::string> last_;  // the last frame (non-tty: without ETAs)
};

}  // namespace ltsweep::cli
