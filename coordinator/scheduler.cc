#include "coordinator/scheduler.h"

#include <fmt/format.h>

#include "coordinator/coordinator_metrics.h"

namespace ltsweep::coordinator {

Status Scheduler::Tick() {
  Status status = Scan();
  // UNAVAILABLE: the store could not write (disk full, I/O error, locked).
  // Heartbeats could not renew leases meanwhile either, so the next scan
  // first gives live leases a fresh deadline: they are not lost to the
  // coordinator's own trouble.
  if (status.code() == StatusCode::kUnavailable) resume_leases_ = true;
  return status;
}

Status Scheduler::Scan() {
  if (resume_leases_) {
    LTSWEEP_ASSIGN_OR_RETURN(int resumed, store_.ResumeLeases(options_.lease_ttl));
    resume_leases_ = false;
    options_.log(fmt::format("the database accepts writes again: {} live lease(s) given a fresh deadline ({} ms "
                             "from now)",
                             resumed, options_.lease_ttl.count()));
  }
  LTSWEEP_ASSIGN_OR_RETURN(auto expired, store_.ExpireLeases());
  for (const ExpiredLease& e : expired) {
    CountExpiredLease(e.requeued);
    if (!e.used_try) {
      options_.log(fmt::format("lease of trial {} attempt {} on worker {} expired with no word since the "
                               "coordinator restarted: retried as attempt {}, no try used",
                               e.trial_id, e.attempt, e.worker_id, e.attempt + 1));
    } else if (e.requeued) {
      options_.log(fmt::format("lease of trial {} attempt {} on worker {} expired: retried as attempt {}",
                               e.trial_id, e.attempt, e.worker_id, e.attempt + 1));
    } else {
      options_.log(fmt::format("lease of trial {} attempt {} on worker {} expired: trial failed (max attempts)",
                               e.trial_id, e.attempt, e.worker_id));
    }
  }
  LTSWEEP_ASSIGN_OR_RETURN(auto released, store_.EndQuarantines());
  for (const std::string& w : released) options_.log(fmt::format("worker {} out of quarantine (cool-down over)", w));
  LTSWEEP_ASSIGN_OR_RETURN(auto lost, store_.MarkLostWorkers(options_.worker_lost_after));
  for (const std::string& w : lost) {
    options_.log(fmt::format("worker lost: {} (silent for {} ms)", w, options_.worker_lost_after.count()));
  }
  return stages_.Tick().status();
}

void Scheduler::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, options_.scan_interval, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      Status s = Tick();
      if (!s.ok()) options_.log("scheduler scan failed: " + s.ToString());
      lock.lock();
    }
  });
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ltsweep::coordinator
