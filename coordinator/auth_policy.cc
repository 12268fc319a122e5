#include "coordinator/auth_policy.h"

namespace ltsweep::coordinator {

namespace {

struct Rule {
  std::string_view method;
  Access access;
};

// Keep in step with docs/security.md (roles table) and the header's table.
constexpr Rule kRules[] = {
    {"/ltsweep.v1.ClientService/SubmitSweep", Access::kSubmit},
    {"/ltsweep.v1.ClientService/CancelSweep", Access::kSubmit},
    {"/ltsweep.v1.ClientService/GetSweep", Access::kRead},
    {"/ltsweep.v1.ClientService/ListSweeps", Access::kRead},
    {"/ltsweep.v1.ClientService/ListTrials", Access::kRead},
    {"/ltsweep.v1.ClientService/WatchSweep", Access::kRead},
    {"/ltsweep.v1.ClientService/QueryMetrics", Access::kRead},
    {"/ltsweep.v1.ClientService/ListWorkers", Access::kRead},
    {"/ltsweep.v1.ClientService/GetTrialLogs", Access::kRead},
    // Lifts a worker's quarantine: an operator's decision.
    {"/ltsweep.v1.ClientService/ReleaseWorker", Access::kAdmin},
    {"/ltsweep.v1.WorkerService/Register", Access::kWorker},
    {"/ltsweep.v1.WorkerService/Heartbeat", Access::kWorker},
    {"/ltsweep.v1.WorkerService/Lease", Access::kWorker},
    {"/ltsweep.v1.WorkerService/ReportMetrics", Access::kWorker},
    {"/ltsweep.v1.WorkerService/FinishAttempt", Access::kWorker},
    {"/ltsweep.v1.WorkerService/StopWorker", Access::kWorker},
    {"/grpc.health.v1.Health/Check", Access::kOpen},
    {"/grpc.health.v1.Health/Watch", Access::kOpen},
    {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", Access::kRead},
    {"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", Access::kRead},
};

const Rule* FindRule(std::string_view method) {
  for (const Rule& rule : kRules) {
    if (rule.method == method) return &rule;
  }
  return nullptr;
}

}  // namespace

const char* AccessName(Access access) {
  switch (access) {
    case Access::kOpen: return "open";
    case Access::kRead: return "read";
    case Access::kSubmit: return "submit";
    case Access::kWorker: return "worker";
    case Access::kAdmin: return "admin";
  }
  return "?";
}

Access RequiredAccess(std::string_view method) {
  const Rule* rule = FindRule(method);
  return rule != nullptr ? rule->access : Access::kAdmin;
}

bool HasPolicyFor(std::string_view method) { return FindRule(method) != nullptr; }

bool RoleAllows(Role role, Access access) {
  switch (access) {
    case Access::kOpen: return true;
    case Access::kRead: return role == Role::kAdmin || role == Role::kSubmit || role == Role::kRead;
    case Access::kSubmit: return role == Role::kAdmin || role == Role::kSubmit;
    case Access::kWorker: return role == Role::kAdmin || role == Role::kWorker;
    case Access::kAdmin: return role == Role::kAdmin;
  }
  return false;
}

}  // namespace ltsweep::coordinator
