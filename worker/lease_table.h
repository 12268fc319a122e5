// ActiveLease and LeaseTable: the leases a worker's slots are running, shared
// between each slot's attempt runner and the heartbeat thread.
//
// A lease is "gone" once the coordinator says it no longer holds it (the
// heartbeat reports it dead, or a metric batch is refused as stale): its
// trainer is stopped and its work dropped (worker/attempt_rules.h).
//
// A lease also remembers when its last confirmed renewal was asked for (the
// Lease call, then each heartbeat the coordinator answered with "alive"), on
// the worker's own clock: the coordinator set the deadline after it received
// that request, so the lease is safe until renewed_ms + TTL whatever the
// clocks of the two machines say.
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
  // `leased_ms`: when the Lease call that granted it was made (worker clock).
  ActiveLease(int64_t trial_id, int attempt, std::string token, int64_t leased_ms = 0)
      : trial_id_(trial_id), attempt_(attempt), token_(std::move(token)), renewed_ms_(leased_ms) {}
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

  // When the last renewal the coordinator confirmed was asked for.
  int64_t renewed_ms() const { return renewed_ms_; }
  // Records a confirmed renewal asked for at `asked_ms` (keeps the latest).
  void NoteRenewed(int64_t asked_ms);

  // Early termination: the coordinator decided to stop the trial (a
  // ReportMetrics or Heartbeat reply said stop). The trainer gets SIGTERM
  // and the attempt finishes STOPPED. True only for the first call.
  bool RequestStop(const std::string& reason);
  bool stop_requested() const { return stop_requested_; }
  std::string stop_reason() const;

 private:
  const int64_t trial_id_;
  const int attempt_;
  const std::string token_;
  std::atomic<bool> gone_{false};
  std::atomic<int64_t> renewed_ms_;
  std::atomic<bool> stop_requested_{false};
  mutable std::mutex mu_;
  std::string gone_reason_;  // GUARDED_BY(mu_)
  std::string stop_reason_;  // GUARDED_BY(mu_)
};

// Marks `lease` to be stopped early (RequestStop) and, the first time, logs
// "trial T attempt A: stopped early by the coordinator (<reason>)".
void RequestEarlyStop(ActiveLease& lease, const std::string& reason, WorkerSession& session);

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
