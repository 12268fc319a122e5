// AttemptReporter: everything a lease sends to the coordinator -- its metric
// batches and its finish.
//
// A batch is sent at once when nothing older of the same lease is waiting;
// otherwise (or when the coordinator cannot be reached) it goes to the
// on-disk outbox (worker/outbox.h) and is re-sent, oldest first, by Drain().
// A batch the coordinator refuses as stale marks the lease gone (its trainer
// is then stopped and its work dropped); a batch refused for any other
// reason is logged and dropped; rows the coordinator rejects one by one
// (rows_rejected in its answer) are logged, and the rest of the batch stands.
// Everything dropped is counted; DropSummary() says it in one line (the
// worker logs it at shutdown). Finish() first delivers what is still
// buffered, then the FinishAttempt request, retrying with backoff while the
// coordinator is unreachable -- while the worker stops, for at most the grace
// period (the lease then expires on the coordinator's side).
//
// Ownership: borrows the client, the outbox and the session, which must
// outlive it. Thread-safety: thread-safe (its only state is atomic
// counters); one reporter serves every slot.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "common/clock.h"
#include "proto/worker_service.pb.h"
#include "worker/coordinator_client.h"
#include "worker/lease_table.h"
#include "worker/outbox.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {

// Where a lease's metrics stand after a send.
enum class SendResult {
  kOk,       // delivered (or refused for good and dropped); nothing waits
  kGone,     // the lease is gone; its buffered batches were discarded
  kPending,  // the coordinator is unreachable; batches wait in the outbox
};

class AttemptReporter {
 public:
  // `clock` and `grace`: how long Finish() keeps trying while stopping.
  AttemptReporter(CoordinatorClient& client, Outbox& outbox, WorkerSession& session, Clock* clock,
                  std::chrono::milliseconds grace);

  // Sends `batch` (or queues it behind earlier unsent ones) and clears its
  // rows, payloads and log chunks. A batch of a gone lease is discarded.
  SendResult Flush(v1::ReportMetricsRequest& batch, ActiveLease& lease);
  // Sends what the outbox holds for the lease, oldest first.
  SendResult Drain(ActiveLease& lease);
  // Whether batches of the lease wait in the outbox.
  bool HasBuffered(const ActiveLease& lease);
  // Discards every buffered batch of the lease.
  void Drop(const ActiveLease& lease);
  // Delivers the buffered batches, then `finish`. True when the coordinator
  // accepted the finish.
  bool Finish(ActiveLease& lease, const v1::FinishAttemptRequest& finish);
  // Re-sends batches an earlier run of the worker left in the outbox.
  void DrainLeftovers();

  // "dropped metrics this run: none", or what was dropped and why:
  // "dropped metrics this run: 2 batches past the outbox bound, 1 batches of
  // gone leases, 0 unreadable outbox files, 0 batches the outbox could not
  // write (disk full), 1 batches (20 rows) refused, 3 rows rejected".
  std::string DropSummary();

 private:
  enum class FinishTry { kAccepted, kDropped, kRetry };
  FinishTry TryFinish(ActiveLease& lease, const v1::FinishAttemptRequest& finish);
  SendResult SendOne(const v1::ReportMetricsRequest& batch, ActiveLease& lease);
  void Buffer(const v1::ReportMetricsRequest& batch);

  CoordinatorClient& client_;
  Outbox& outbox_;
  WorkerSession& session_;
  Clock* const clock_;
  const std::chrono::milliseconds grace_;
  std::atomic<uint64_t> refused_batches_{0};
  std::atomic<uint64_t> refused_rows_{0};
  std::atomic<uint64_t> rejected_rows_{0};
  std::atomic<uint64_t> unbuffered_batches_{0};
};

}  // namespace ltsweep::worker
