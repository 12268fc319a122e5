// SlotLoop: one trial slot of the worker (one per GPU, or per CPU share).
// Until the worker stops it asks the coordinator for a lease, runs the
// granted attempt to its end (worker/attempt_runner.h), and asks again;
// "nothing yet" waits the retry_after the coordinator suggests, an
// unreachable coordinator waits with backoff. A lease granted just as the
// worker stops is handed back as interrupted without starting a trainer.
// When the coordinator does not know the worker any more, slot 0 registers
// again (the others wait for it).
//
// With an IdleTracker limit (--exit-when-idle) a slot whose lease request
// brings nothing checks whether the whole worker has been idle that long; the
// first to find so logs it and stops the worker (worker/idle_tracker.h).
//
// Each logical lease request carries a fresh request_id; a request retried
// after a transient failure (UNAVAILABLE, a timeout: the coordinator may
// have granted it without the answer arriving) is sent again with the same
// id, so the coordinator answers with the lease it already granted instead
// of leasing a second trial that nobody would run.
//
// Ownership: borrows everything. Thread-safety: Run() on the slot's own
// thread; it returns once the session stops (after the running attempt has
// been reported).
#pragma once

#include <vector>

#include "common/clock.h"
#include "worker/attempt_reporter.h"
#include "worker/attempt_runner.h"
#include "worker/coordinator_client.h"
#include "worker/idle_tracker.h"
#include "worker/registration.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {

class SlotLoop {
 public:
  // `clock`: borrowed; when each Lease call was made (the lease's first renewal).
  // `gpus`: the GPUs the slot holds (empty: a CPU slot), named in every
  // Lease request so that only trials asking for that many GPUs come.
  SlotLoop(int slot, CoordinatorClient& client, WorkerSession& session, Registrar& registrar,
           AttemptRunner& runner, AttemptReporter& reporter, Clock* clock, IdleTracker& idle,
           std::vector<int> gpus = {})
      : slot_(slot),
        gpus_(std::move(gpus)),
        client_(client),
        session_(session),
        registrar_(registrar),
        runner_(runner),
        reporter_(reporter),
        clock_(clock),
        idle_(idle) {}

  void Run();

 private:
  // After a failed Lease call: registers again or notes the outage.
  void OnLeaseError(const Status& error);
  // Reports a lease granted while stopping as interrupted.
  void HandBack(const v1::LeaseResponse& lease);
  // After a request that brought no lease: stops the worker when it has been
  // idle for the --exit-when-idle limit. True when it did.
  bool ExitIfIdle();

  const int slot_;
  const std::vector<int> gpus_;
  CoordinatorClient& client_;
  WorkerSession& session_;
  Registrar& registrar_;
  AttemptRunner& runner_;
  AttemptReporter& reporter_;
  Clock* const clock_;
  IdleTracker& idle_;
};

}  // namespace ltsweep::worker
