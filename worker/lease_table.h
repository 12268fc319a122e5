// ActiveLease and LeaseTable: the leases a worker's slots are running, shared
// between each slot's attempt runner and the heartbeat thread.
//
// A lease is "gone" once the coordinator says it no longer holds it (the
// heartbeat reports it dead, or a metric batch is refused as stale): its
// trainer is stopped and its work dropped (worker/attempt_rules.h).
//
// Ownership: leases are shared (std::shared_ptr) by the table and the runner
// of their slot. Thread-safety: both classes are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proto/worker_service.pb.h"

namespace ltsweep::worker {

class WorkerSession;

class ActiveLease {
 public:
  ActiveLease(int64_t trial_id, int attempt, std::string token)
      : trial_id_(trial_id), attempt_(attempt), token_(std::move(token)) {}
  ActiveLease(const ActiveLease&) = delete;
  ActiveLease& operator=(const ActiveLease&) = delete;

  int64_t trial_id() const { return trial_id_; }
  int attempt() const { return attempt_; }
  const std::string& token() const { return token_; }
  // The lease as the proto names it (trial id, attempt, token).
  v1::LeaseRef Ref() const;

  bool gone() const { return gone_; }
  // Marks the lease gone for `reason`. True only for the first call.
  bool MarkGone(const std::string& reason);
  // Why it is gone (empty while it is not).
  std::string gone_reason() const;

 private:
  const int64_t trial_id_;
  const int attempt_;
  const std::string token_;
  std::atomic<bool> gone_{false};
  mutable std::mutex mu_;
  std::string gone_reason_;  // GUARDED_BY(mu_)
};

// Marks `lease` gone and, the first time, logs "lease of trial T attempt A is
// gone (<reason>): stopping its trainer".
void MarkLeaseGone(ActiveLease& lease, const std::string& reason, WorkerSession& session);

// The lease each slot is running, by slot.
class LeaseTable {
 public:
  void Put(int slot, std::shared_ptr<ActiveLease> lease);
  void Erase(int slot);
  // Every lease held now (the heartbeat renews these).
  std::vector<std::shared_ptr<ActiveLease>> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<int, std::shared_ptr<ActiveLease>> by_slot_;  // GUARDED_BY(mu_)
};

}  // namespace ltsweep::worker
