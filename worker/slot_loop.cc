#include "worker/slot_loop.h"

#include <algorithm>

#include <fmt/format.h>

#include "worker/attempt_rules.h"

namespace ltsweep::worker {

using Ms = std::chrono::milliseconds;

void SlotLoop::OnLeaseError(const Status& error) {
  if (IsUnknownWorker(error)) {
    session_.Log("lease refused (" + error.message() + "); registering again");
    if (slot_ == 0) registrar_.RegisterUntilAccepted();
  } else {
    session_.NoteReachable(false, error);
  }
}

void SlotLoop::HandBack(const v1::LeaseResponse& lease) {
  ActiveLease active(lease.trial_id(), lease.attempt(), lease.token());
  reporter_.Finish(active, MakeFinishRequest(session_.id(), active.Ref(), PlanHandBack()));
}

bool SlotLoop::ExitIfIdle() {
  if (!idle_.ClaimExit()) return false;
  session_.Log(fmt::format("idle for {:.1f} s with no lease (--exit-when-idle {:.1f} s): exiting",
                           idle_.IdleFor().count() / 1000.0, idle_.limit().count() / 1000.0));
  session_.Stop();
  return true;
}

void SlotLoop::Run() {
  Backoff backoff = session_.MakeBackoff();
  std::string request_id;  // kept while the same request is retried
  int64_t asked_ms = 0;    // when it was first sent: a lease granted by a
                           // lost answer has its deadline from then
  while (!session_.stopping()) {
    if (request_id.empty()) {
      request_id = session_.NewRequestId();
      asked_ms = clock_->NowMillis();
    }
    v1::LeaseRequest request;
    request.set_worker_id(session_.id());
    request.set_slot(slot_);
    request.set_request_id(request_id);
    for (int g : gpus_) request.add_gpus(g);
    auto lease = client_.Lease(request);
    if (!lease.ok()) {
      // Only a transient failure may hide a granted lease: retry it as is.
      if (!IsTransient(lease.status())) request_id.clear();
      OnLeaseError(lease.status());
      if (ExitIfIdle()) break;
      session_.WaitFor(Ms(backoff.NextDelayMs()));
      continue;
    }
    request_id.clear();
    session_.NoteReachable(true, lease.status());
    backoff.Reset();
    if (!lease->granted()) {
      if (ExitIfIdle()) break;
      session_.WaitFor(Ms(std::max<int64_t>(10, lease->retry_after_ms())));
      continue;
    }
    if (session_.stopping()) {
      // Leased just as we were told to stop: hand it back as interrupted.
      HandBack(*lease);
      break;
    }
    idle_.AttemptStarted();
    runner_.Run(slot_, *lease, asked_ms);
    idle_.AttemptEnded();
  }
}

}  // namespace ltsweep::worker
