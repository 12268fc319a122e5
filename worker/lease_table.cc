#include "worker/lease_table.h"

#include <fmt/format.h>

#include "worker/worker_session.h"

namespace ltsweep::worker {

v1::LeaseRef ActiveLease::Ref() const {
  v1::LeaseRef ref;
  ref.set_trial_id(trial_id_);
  ref.set_attempt(attempt_);
  ref.set_token(token_);
  return ref;
}

bool ActiveLease::MarkGone(const std::string& reason) {
  if (gone_.exchange(true)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  gone_reason_ = reason;
  return true;
}

void ActiveLease::NoteRenewed(int64_t asked_ms) {
  int64_t seen = renewed_ms_.load();
  while (asked_ms > seen && !renewed_ms_.compare_exchange_weak(seen, asked_ms)) {
  }
}

bool ActiveLease::RequestStop(const std::string& reason) {
  if (stop_requested_.exchange(true)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  stop_reason_ = reason;
  return true;
}

std::string ActiveLease::stop_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_reason_;
}

void RequestEarlyStop(ActiveLease& lease, const std::string& reason, WorkerSession& session) {
  if (!lease.RequestStop(reason)) return;
  session.Log(fmt::format("trial {} attempt {}: stopped early by the coordinator ({}): stopping its trainer",
                          lease.trial_id(), lease.attempt(), reason));
}

std::string ActiveLease::gone_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return gone_reason_;
}

void MarkLeaseGone(ActiveLease& lease, const std::string& reason, WorkerSession& session) {
  if (!lease.MarkGone(reason)) return;
  session.Log(fmt::format("lease of trial {} attempt {} is gone ({}): stopping its trainer", lease.trial_id(),
                          lease.attempt(), reason));
}

void LeaseTable::Put(int slot, std::shared_ptr<ActiveLease> lease) {
  std::lock_guard<std::mutex> lock(mu_);
  by_slot_[slot] = std::move(lease);
}

void LeaseTable::Erase(int slot) {
  std::lock_guard<std::mutex> lock(mu_);
  by_slot_.erase(slot);
}

std::vector<std::shared_ptr<ActiveLease>> LeaseTable::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<ActiveLease>> leases;
  for (const auto& [slot, lease] : by_slot_) leases.push_back(lease);
  return leases;
}

}  // namespace ltsweep::worker
