#include "coordinator/scheduler.h"

#include <fmt/format.h>

namespace ltsweep::coordinator {

Status Scheduler::Tick() {
  LTSWEEP_ASSIGN_OR_RETURN(auto expired, store_.ExpireLeases());
  for (const ExpiredLease& e : expired) {
    if (e.requeued) {
      options_.log(fmt::format("lease of trial {} attempt {} on worker {} expired: retried as attempt {}",
                               e.trial_id, e.attempt, e.worker_id, e.attempt + 1));
    } else {
      options_.log(fmt::format("lease of trial {} attempt {} on worker {} expired: trial failed (max attempts)",
                               e.trial_id, e.attempt, e.worker_id));
    }
  }
  LTSWEEP_ASSIGN_OR_RETURN(auto lost, store_.MarkLostWorkers(options_.worker_lost_after));
  for (const std::string& w : lost) {
    options_.log(fmt::format("worker lost: {} (silent for {} ms)", w, options_.worker_lost_after.count()));
  }
  return Status::Ok();
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
