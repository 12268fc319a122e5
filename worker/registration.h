// Registrar: registers the worker with the coordinator (host, slots, GPUs,
// pid) and keeps what the answer says in the session: the worker id and the
// heartbeat interval. Called at start, and again by the slot and heartbeat
// loops when the coordinator no longer knows the worker (it restarted on a
// fresh database, or expired the worker).
//
// Ownership: borrows the client, the session and the options. Thread-safety:
// thread-safe (its one field, the auth error, is under a mutex).
#pragma once

#include <mutex>

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
  // or the worker stops. False when stopped first. The first registration
  // gives up after options.exit_when_idle (when set): it logs so and stops
  // the session. A refused token
  // (UNAUTHENTICATED, PERMISSION_DENIED) is no reason to retry: it stops the
  // session and is kept in auth_error().
  bool RegisterUntilAccepted();

  // OK, or why the coordinator refused this worker's token.
  Status auth_error() const;

 private:
  v1::RegisterRequest MakeRequest() const;
  void Accept(const v1::RegisterRequest& request, const v1::RegisterResponse& response);
  void StopOnRefusedToken(const Status& error);

  mutable std::mutex mu_;
  Status auth_error_;  // GUARDED_BY(mu_)
  CoordinatorClient& client_;
  WorkerSession& session_;
  const WorkerOptions& options_;
};

}  // namespace ltsweep::worker
