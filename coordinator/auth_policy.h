// Who may call what: the one table from gRPC method to the access it needs,
// and which roles (coordinator/auth_tokens.h) have that access.
//
//   method                                        access   roles allowed
//   ltsweep.v1.ClientService/SubmitSweep          submit   admin, submit
//   ltsweep.v1.ClientService/CancelSweep          submit   admin, submit
//   ltsweep.v1.ClientService/GetSweep, ListSweeps,
//     ListTrials, WatchSweep, QueryMetrics,
//     ListWorkers, GetTrialLogs                   read     admin, submit, read
//   ltsweep.v1.ClientService/ReleaseWorker        admin    admin
//   ltsweep.v1.WorkerService/* (Register,
//     Heartbeat, Lease, ReportMetrics,
//     FinishAttempt, StopWorker)                  worker   admin, worker
//   grpc.health.v1.Health/*                       open     anyone, no token
//   grpc.reflection.*/ServerReflectionInfo        read     admin, submit, read
//   anything else                                 admin    admin
//
// StopWorker is the worker's own "I am shutting down cleanly" call (worker
// daemons make it), hence the worker role. ReleaseWorker lifts a worker's
// quarantine (`ltsweep workers --release ID`): an operator's call, admin. A method missing from the table
// needs admin, so a new RPC is closed until someone decides; the tests check
// that every RPC of proto/*.proto has a row.
//
// Thread-safety: pure functions over a constant table.
#pragma once

#include <string_view>

#include "coordinator/auth_tokens.h"

namespace ltsweep::coordinator {

enum class Access { kOpen, kRead, kSubmit, kWorker, kAdmin };

// "open", "read", "submit", "worker", "admin".
const char* AccessName(Access access);

// The access `method` needs; `method` is the HTTP/2 path,
// "/ltsweep.v1.ClientService/SubmitSweep". Unknown methods: kAdmin.
Access RequiredAccess(std::string_view method);

// Whether the table has a row for `method` (for tests).
bool HasPolicyFor(std::string_view method);

// Whether a token of `role` may call a method that needs `access`.
bool RoleAllows(Role role, Access access);

}  // namespace ltsweep::coordinator
