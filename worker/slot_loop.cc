#include "worker/slot_loop.h"

#include <algorithm>

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

void SlotLoop::Run() {
  Backoff backoff = session_.MakeBackoff();
  while (!session_.stopping()) {
    v1::LeaseRequest request;
    request.set_worker_id(session_.id());
    request.set_slot(slot_);
    auto lease = client_.Lease(request);
    if (!lease.ok()) {
      OnLeaseError(lease.status());
      session_.WaitFor(Ms(backoff.NextDelayMs()));
      continue;
    }
    session_.NoteReachable(true, lease.status());
    backoff.Reset();
    if (!lease->granted()) {
      session_.WaitFor(Ms(std::max<int64_t>(10, lease->retry_after_ms())));
      continue;
    }
    if (session_.stopping()) {
      // Leased just as we were told to stop: hand it back as interrupted.
      HandBack(*lease);
      break;
    }
    runner_.Run(slot_, *lease);
  }
}

}  // namespace ltsweep::worker
