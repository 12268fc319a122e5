// HeartbeatLoop: the worker's heartbeat thread. Every heartbeat interval it
// renews every lease in the LeaseTable in one Heartbeat call; a lease the
// coordinator reports dead is marked gone (its slot then stops the trainer
// and drops the work). When the coordinator does not know the worker any
// more, it registers again.
//
// Ownership: borrows everything. Thread-safety: Run() on one thread; it
// returns once the session stops.
#pragma once

#include "worker/coordinator_client.h"
#include "worker/lease_table.h"
#include "worker/registration.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {

class HeartbeatLoop {
 public:
  HeartbeatLoop(CoordinatorClient& client, WorkerSession& session, LeaseTable& leases, Registrar& registrar)
      : client_(client), session_(session), leases_(leases), registrar_(registrar) {}

  void Run();

 private:
  // One heartbeat for `held`.
  void Beat(const std::vector<std::shared_ptr<ActiveLease>>& held);

  CoordinatorClient& client_;
  WorkerSession& session_;
  LeaseTable& leases_;
  Registrar& registrar_;
};

// Marks gone each lease of `held` that `response` reports dead (matched by
// trial id and token), logging each once.
void ApplyHeartbeatResponse(const v1::HeartbeatResponse& response,
                            const std::vector<std::shared_ptr<ActiveLease>>& held, WorkerSession& session);

}  // namespace ltsweep::worker
