#include "worker/lease_guard.h"

#include <signal.h>

#include <chrono>

#include <fmt/format.h>

namespace ltsweep::worker {

LeaseGuard::LeaseGuard(const WorkerOptions& options, WorkerSession& session, ActiveLease& lease,
                       TrainerProcess& proc, int slot)
    : options_(options), session_(session), lease_(lease), proc_(proc), slot_(slot) {
  thread_ = std::thread([this] { Run(); });
}

LeaseGuard::~LeaseGuard() { Finish(); }

void LeaseGuard::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

StopDecision LeaseGuard::decision() const {
  std::lock_guard<std::mutex> lock(mu_);
  return decision_;
}

void LeaseGuard::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!finished_) {
    lock.unlock();
    const bool done = Check(options_.clock->NowMillis());
    lock.lock();
    if (done) return;
    // 20 ms: small against any margin (at least 2 heartbeats).
    cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return finished_; });
  }
}

bool LeaseGuard::Check(int64_t now) {
  if (lease_.gone()) return false;  // the coordinator answered: the slot thread stops it
  WatchState state;
  state.now_ms = now;
  state.started_ms = now;
  state.last_event_ms = now;
  state.renewed_ms = lease_.renewed_ms();
  state.lease_ttl_ms = state.renewed_ms > 0 ? session_.lease_ttl().count() : 0;
  state.margin_ms =
      LeaseMargin(options_.lease_margin.count(), session_.heartbeat_interval().count(), state.lease_ttl_ms);
  if (kill_at_ < 0) {
    StopDecision decision = DecideStop(state);
    if (decision.reason != StopReason::kLeaseNotRenewed) return false;
    kill_at_ = KillAt(decision.reason, now, options_.grace.count(), state);
    proc_.Signal(SIGTERM);
    session_.Log(fmt::format("slot {}: SIGTERM to the trainer of trial {} (process group {}): {}", slot_,
                             lease_.trial_id(), proc_.pid(), decision.message));
    std::lock_guard<std::mutex> lock(mu_);
    decision_ = std::move(decision);
  }
  if (proc_.HasExited()) return true;  // stopped in time: nothing left to kill
  if (!killed_ && now >= kill_at_) {
    killed_ = true;
    proc_.Signal(SIGKILL);
    session_.Log(fmt::format("slot {}: trainer of trial {} must be gone before its lease can expire: SIGKILL to its "
                             "group",
                             slot_, lease_.trial_id()));
  }
  return killed_;
}

}  // namespace ltsweep::worker
