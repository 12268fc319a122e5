// TrainerTrace: when each trainer process of a chaos run was running, from
// the trainers' own trace lines (LTSWEEP_FAKE_TRACE of the fake trainer:
// "<label> <pid> start|end <steady ns>", label "trial-<id>-a<attempt>") and
// from watching the processes themselves, so a trainer that was SIGKILLed
// and wrote no end line still has an end: the moment its pidfd reported it
// gone (an upper bound, never early). Periods the driver froze a trainer
// (SIGSTOP .. SIGCONT) are cut out of its running time.
//
// Overlaps() is the harness's "no two attempts of one trial ran at the same
// time" check: for every trial, the running times of any two of its trainer
// processes must not intersect.
//
// Thread-safety: thread-safe; one background thread tails the file and
// watches the processes between Start() and Stop().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ltsweep::chaos {

// Nanoseconds of std::chrono::steady_clock (CLOCK_MONOTONIC).
int64_t SteadyNowNs();

struct TrainerRun {
  std::string label;      // "trial-<id>-a<attempt>"
  int64_t trial_id = -1;  // -1 when the label does not parse
  int attempt = -1;
  pid_t pid = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;      // 0 while running
  bool end_line = false;   // false: ended by a signal (end from the pidfd)
  std::vector<std::pair<int64_t, int64_t>> frozen;  // [stop, cont] periods
};

struct Overlap {
  int64_t trial_id = 0;
  std::string first, second;  // "trial-3-a1 pid 123"
  double overlap_ms = 0;
  bool after_thaw = false;    // the first run's overlapping part followed a SIGCONT
};

class TrainerTrace {
 public:
  explicit TrainerTrace(std::string path);
  ~TrainerTrace();
  TrainerTrace(const TrainerTrace&) = delete;
  TrainerTrace& operator=(const TrainerTrace&) = delete;

  void Start();
  // Reads the rest of the file; runs still without an end get one if their
  // process is gone (else they keep end_ns 0 and count as still running).
  void Stop();

  // The driver froze / thawed these pids now (only trainer pids matter).
  void Frozen(const std::vector<pid_t>& pids);
  void Thawed(const std::vector<pid_t>& pids);

  std::vector<TrainerRun> Runs() const;
  // Every pair of runs of one trial whose running times intersect.
  std::vector<Overlap> Overlaps() const;

 private:
  void Loop();
  void ReadNewLines();
  void WatchPids();

  const std::string path_;
  mutable std::mutex mu_;
  std::vector<TrainerRun> runs_;          // guarded by mu_
  std::map<pid_t, size_t> live_;          // running: pid -> index in runs_, guarded by mu_
  std::map<pid_t, size_t> by_pid_;        // pid -> its latest run, guarded by mu_
  std::map<pid_t, int> pidfds_;           // loop thread only
  std::map<pid_t, int64_t> frozen_since_; // guarded by mu_
  int64_t offset_ = 0;                    // loop thread (and Stop after join)
  std::string partial_;
  bool stop_ = false;                     // guarded by mu_
  std::thread thread_;
};

}  // namespace ltsweep::chaos
