#include "worker/heartbeat_loop.h"

#include "worker/worker_metrics.h"

namespace ltsweep::worker {

void ApplyHeartbeatResponse(const v1::HeartbeatResponse& response,
                            const std::vector<std::shared_ptr<ActiveLease>>& held, WorkerSession& session,
                            int64_t asked_ms) {
  for (const v1::LeaseState& state : response.leases()) {
    for (const auto& lease : held) {
      if (lease->trial_id() != state.trial_id() || lease->token() != state.token()) continue;
      if (!state.alive()) {
        MarkLeaseGone(*lease, state.reason(), session);
      } else {
        if (asked_ms > 0) lease->NoteRenewed(asked_ms);
        if (state.stop()) RequestEarlyStop(*lease, "early termination (heartbeat)", session);
      }
    }
  }
}

void HeartbeatLoop::Beat(const std::vector<std::shared_ptr<ActiveLease>>& held) {
  v1::HeartbeatRequest request;
  request.set_worker_id(session_.id());
  for (const auto& lease : held) *request.add_leases() = lease->Ref();
  const int64_t asked_ms = clock_->NowMillis();
  auto response = client_.Heartbeat(request);
  if (!response.ok()) {
    Metrics().heartbeat_failures.Increment();
    if (IsUnknownWorker(response.status())) {
      session_.Log("coordinator does not know this worker: " + response.status().message() + "; registering again");
      registrar_.RegisterUntilAccepted();
      return;
    }
    session_.NoteReachable(false, response.status());
    return;
  }
  session_.NoteReachable(true, response.status());
  ApplyHeartbeatResponse(*response, held, session_, asked_ms);
}

void HeartbeatLoop::Run() {
  while (session_.WaitFor(session_.heartbeat_interval())) Beat(leases_.Snapshot());
}

}  // namespace ltsweep::worker
