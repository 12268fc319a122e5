// WorkerSession: what every thread of one running Worker shares -- its id,
// the stop flag, whether the coordinator answers, the log, the heartbeat
// interval and the seeds of the retry loops' backoff.
//
// Log lines read "worker <id>: <text>" ("-" before registration). With a
// hook (WorkerOptions::log) the hook receives exactly that; without one the
// line goes to StderrLog("worker <id>") (common/log.h), which adds the UTC
// timestamp.
//
// Ownership: owned by the Worker; the parts of a run (slot loops, heartbeat
// thread, attempt runners) borrow it. Thread-safety: thread-safe; Stop() may
// be called from any thread (not from a signal handler).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "common/log.h"
#include "common/status.h"
#include "worker/backoff.h"

namespace ltsweep::worker {

class WorkerSession {
 public:
  // `hook`: receives every log line; empty: stderr. `seed` 0: random.
  WorkerSession(LogFn hook, BackoffOptions backoff, uint64_t seed);
  WorkerSession(const WorkerSession&) = delete;
  WorkerSession& operator=(const WorkerSession&) = delete;

  // --- Identity and log ------------------------------------------------------
  // Empty until registered.
  std::string id() const;
  void set_id(const std::string& id);
  // Writes "worker <id>: <text>" (see the header comment).
  void Log(const std::string& text);

  // --- Stop --------------------------------------------------------------------
  // No new leases; running trainers get SIGTERM; wakes every WaitFor().
  void Stop();
  bool stopping() const { return stopping_; }
  // Sleeps up to `d`, waking early on Stop(). False when stopping.
  bool WaitFor(std::chrono::milliseconds d);

  // --- Coordinator reachability ----------------------------------------------
  // Records whether the last call reached the coordinator; logs a change
  // ("coordinator unreachable: ...; retrying with backoff" / "coordinator
  // reachable again"). `error` describes a failure.
  void NoteReachable(bool ok, const Status& error);
  // Marks the coordinator reachable without a log line (after registering).
  void SetReachable();

  // --- Retry loops -------------------------------------------------------------
  // A Backoff with the next seed of the session's engine.
  Backoff MakeBackoff();
  // How often the heartbeat thread renews leases (set at registration).
  std::chrono::milliseconds heartbeat_interval() const;
  void set_heartbeat_interval(std::chrono::milliseconds interval);

 private:
  const LogFn hook_;
  const BackoffOptions backoff_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string id_;                                      // GUARDED_BY(mu_)
  LogFn stderr_log_;                                    // GUARDED_BY(mu_); StderrLog("worker <id>")
  bool reachable_ = true;                               // GUARDED_BY(mu_)
  std::mt19937_64 seeds_;                               // GUARDED_BY(mu_)
  std::chrono::milliseconds heartbeat_interval_{5'000};  // GUARDED_BY(mu_)

  std::mutex log_mu_;  // one hook call at a time
};

}  // namespace ltsweep::worker
