#include "worker/heartbeat_loop.h"

namespace ltsweep::worker {

void ApplyHeartbeatResponse(const v1::HeartbeatResponse& response,
                            const std::vector<std::shared_ptr<ActiveLease>>& held, WorkerSession& session) {
  for (const v1::LeaseState& state : response.leases()) {
    if (state.alive()) continue;
    for (const auto& lease : held) {
      if (lease->trial_id() == state.trial_id() && lease->token() == state.token()) {
        MarkLeaseGone(*lease, state.reason(), session);
      }
    }
  }
}

void HeartbeatLoop::Beat(const std::vector<std::shared_ptr<ActiveLease>>& held) {
  v1::HeartbeatRequest request;
  request.set_worker_id(session_.id());
  for (const auto& lease : held) *request.add_leases() = lease->Ref();
  auto response = client_.Heartbeat(request);
  if (!response.ok()) {
    if (IsUnknownWorker(response.status())) {
      session_.Log("coordinator does not know this worker: " + response.status().message() + "; registering again");
      registrar_.RegisterUntilAccepted();
      return;
    }
    session_.NoteReachable(false, response.status());
    return;
  }
  session_.NoteReachable(true, response.status());
  ApplyHeartbeatResponse(*response, held, session_);
}

void HeartbeatLoop::Run() {
  while (session_.WaitFor(session_.heartbeat_interval())) Beat(leases_.Snapshot());
}

}  // namespace ltsweep::worker
