// LeaseGuard: the partition rule of one running attempt, on a thread of its
// own. When the attempt's lease has gone unrenewed for the lease TTL minus a
// margin (worker/attempt_rules.h: DecideStop, LeaseMargin, KillAt), the
// guard sends SIGTERM to the trainer's process group, and SIGKILL no later
// than TTL - margin/2 after the last confirmed renewal: the trainer is dead
// before the coordinator can expire the lease and hand the trial to another
// worker, so a trial never runs twice at once.
//
// Why a thread: the slot thread that watches the trainer may sit in an RPC to
// a coordinator that does not answer (a blackholed network answers nothing
// until the RPC deadline, rpc_timeout, which can be longer than the margin).
// The guard only reads the lease's renewal time and signals the process.
//
// Ownership: borrows the lease, the process, the session and the options,
// which must outlive it. Thread-safety: construct, Finish() and decision()
// from the slot thread; the guard's own thread only signals the process
// (TrainerProcess::Signal is callable from any thread).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "worker/attempt_rules.h"
#include "worker/lease_table.h"
#include "worker/trainer_process.h"
#include "worker/worker_options.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {

class LeaseGuard {
 public:
  // Starts guarding at once. `options` as resolved by Worker::Run() (clock
  // set); `slot` names the slot in log lines.
  LeaseGuard(const WorkerOptions& options, WorkerSession& session, ActiveLease& lease, TrainerProcess& proc,
             int slot);
  ~LeaseGuard();
  LeaseGuard(const LeaseGuard&) = delete;
  LeaseGuard& operator=(const LeaseGuard&) = delete;

  // Stops guarding (the trainer has exited) and joins the thread. Idempotent.
  void Finish();
  // kLeaseNotRenewed with its message once the guard stopped the trainer;
  // kNone otherwise.
  StopDecision decision() const;

 private:
  void Run();
  // One check at `now`; true once nothing is left to do (SIGKILL sent).
  bool Check(int64_t now);

  const WorkerOptions& options_;
  WorkerSession& session_;
  ActiveLease& lease_;
  TrainerProcess& proc_;
  const int slot_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;    // GUARDED_BY(mu_)
  StopDecision decision_;    // GUARDED_BY(mu_)
  int64_t kill_at_ = -1;     // guard thread only
  bool killed_ = false;      // guard thread only
  std::thread thread_;
};

}  // namespace ltsweep::worker
