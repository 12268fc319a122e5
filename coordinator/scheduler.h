// Scheduler: the coordinator's background loop. Every scan_interval it takes
// back expired leases (the trial goes back to the queue as the next attempt,
// or fails after max_attempts), ends quarantines whose cool-down is over and
// marks silent workers lost, and moves staged sweeps to their next stage
// (coordinator/stage_runner.h), logging one line per change. The policy itself (priorities, FIFO, fencing) is the
// store's; this loop only moves time forward.
//
// Ownership: borrows the Store and the options. Thread-safety: Tick() may be
// called from any thread; Start()/Stop() from the owner's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "coordinator/options.h"
#include "coordinator/stage_runner.h"
#include "store/store.h"

namespace ltsweep::coordinator {

class Scheduler {
 public:
  Scheduler(Store& store, const CoordinatorOptions& options)
      : store_(store), options_(options), stages_(store, options.log) {}
  ~Scheduler() { Stop(); }
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // One scan at the store clock's "now". Tests call it after advancing a
  // FakeClock. After a scan that failed with UNAVAILABLE (the store could
  // not write, so heartbeats could not renew leases either), the next one
  // first gives every live lease a fresh deadline (Store::ResumeLeases).
  Status Tick();

  // Runs Tick() every scan_interval on a thread until Stop().
  void Start();
  void Stop();

 private:
  Status Scan();

  Store& store_;
  const CoordinatorOptions& options_;
  StageRunner stages_;  // staged sweeps: the next stage when one has ended
  std::atomic<bool> resume_leases_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace ltsweep::coordinator
