// Registrar: registers the worker with the coordinator (host, slots, GPUs,
// pid) and keeps what the answer says in the session: the worker id and the
// heartbeat interval. Called at start, and again by the slot and heartbeat
// loops when the coordinator no longer knows the worker (it restarted on a
// fresh database, or expired the worker).
//
// Ownership: borrows the client, the session and the options. Thread-safety:
// thread-safe (it keeps nothing of its own).
#pragma once

#include "worker/coordinator_client.h"
#include "worker/worker_options.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {

class Registrar {
 public:
  // `options` resolved by Worker::Run() (slots >= 1, trainer_path set).
  Registrar(CoordinatorClient& client, WorkerSession& session, const WorkerOptions& options)
      : client_(client), session_(session), options_(options) {}

  // Registers (under the session's id once it has one, else
  // options.worker_id), retrying with backoff until the coordinator accepts
  // or the worker stops. False when stopped first.
  bool RegisterUntilAccepted();

 private:
  v1::RegisterRequest MakeRequest() const;
  void Accept(const v1::RegisterRequest& request, const v1::RegisterResponse& response);

  CoordinatorClient& client_;
  WorkerSession& session_;
  const WorkerOptions& options_;
};

}  // namespace ltsweep::worker
