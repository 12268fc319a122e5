#include "worker/worker.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "worker/attempt_reporter.h"
#include "worker/attempt_runner.h"
#include "worker/coordinator_client.h"
#include "worker/heartbeat_loop.h"
#include "worker/idle_tracker.h"
#include "worker/lease_table.h"
#include "worker/outbox.h"
#include "worker/registration.h"
#include "worker/slot_loop.h"
#include "worker/trainer_process.h"
#include "worker/worker_metrics.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {

namespace fs = std::filesystem;

namespace {

std::string DefaultTrainerPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path next_to = self.parent_path() / "ltsweep-train";
    if (access(next_to.c_str(), X_OK) == 0) return next_to.string();
  }
  return FindExecutable("ltsweep-train");
}

// Checks the options and fills the fields whose default depends on the
// machine: slot_layout (worker/slot_layout.h), trainer_path (absolute), clock. Creates
// the work dir. Errors name the flag at fault.
Status ResolveOptions(WorkerOptions& o) {
  if (o.coordinator.empty()) return InvalidArgumentError("--coordinator: the coordinator address is required");
  if (o.exit_when_idle.count() < 0) return InvalidArgumentError("--exit-when-idle: must not be negative");
  SlotPlanInput plan;
  plan.gpus = o.gpus;
  plan.gpus_per_slot = o.gpus_per_slot;
  plan.trials_per_gpu = o.trials_per_gpu;
  plan.cpu_slots = o.slots == kDefaultSlots ? (o.gpus.empty() ? 1 : 0) : o.slots;
  plan.threads_per_trial = o.threads_per_trial;
  plan.cores = UsableCores();
  LTSWEEP_ASSIGN_OR_RETURN(o.slot_layout, PlanSlots(plan));
  std::string trainer = o.trainer_path.empty() ? DefaultTrainerPath() : FindExecutable(o.trainer_path);
  if (trainer.empty()) {
    return NotFoundError(o.trainer_path.empty()
                             ? "the trainer ltsweep-train is neither next to this program nor on $PATH (use --trainer)"
                             : "--trainer: " + o.trainer_path + " is not an executable file");
  }
  std::error_code ec;
  o.trainer_path = fs::absolute(trainer, ec).string();
  if (o.clock == nullptr) o.clock = SystemClock::Default();
  fs::create_directories(o.work_dir, ec);
  if (ec) return InvalidArgumentError(fmt::format("--work-dir: cannot create {}: {}", o.work_dir, ec.message()));
  return Status::Ok();
}

// Runs the slot loops and the heartbeat thread until every slot has stopped.
void RunSlotsAndHeartbeats(const WorkerOptions& o, CoordinatorClient& client, WorkerSession& session,
                           Registrar& registrar, AttemptReporter& reporter, Outbox& outbox) {
  LeaseTable leases;
  WorkerGauges gauges(leases, static_cast<int>(o.slot_layout.size()), outbox);  // /metrics
  IdleTracker idle(o.clock, o.exit_when_idle);
  AttemptRunner runner(o, session, leases, reporter);
  HeartbeatLoop heartbeat(client, session, leases, registrar, o.clock);
  std::thread heartbeat_thread([&heartbeat] { heartbeat.Run(); });
  std::vector<std::thread> slots;
  for (int i = 0; i < static_cast<int>(o.slot_layout.size()); ++i) {
    slots.emplace_back([&, i] {
      SlotLoop(i, client, session, registrar, runner, reporter, o.clock, idle, o.slot_layout[i].gpus).Run();
    });
  }
  for (auto& t : slots) t.join();
  session.Stop();
  heartbeat_thread.join();
}

}  // namespace

StatusOr<std::vector<int>> ParseGpuList(const std::string& text) {
  std::vector<int> gpus;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    size_t used = 0;
    int v = -1;
    try {
      v = std::stoi(item, &used);
    } catch (...) {
      used = 0;
    }
    if (item.empty() || used != item.size() || v < 0) {
      return InvalidArgumentError(fmt::format("--gpus: \"{}\" is not a GPU index (expected e.g. 0,1)", item));
    }
    gpus.push_back(v);
    start = end + 1;
  }
  return gpus;
}

struct Worker::Impl {
  explicit Impl(WorkerOptions o) : options(std::move(o)), session(options.log, options.backoff, options.seed) {}
  WorkerOptions options;
  WorkerSession session;
};

Worker::Worker(WorkerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Worker::~Worker() = default;

void Worker::Stop() { impl_->session.Stop(); }

std::string Worker::worker_id() const { return impl_->session.id(); }

Status Worker::Run() {
  WorkerOptions& o = impl_->options;
  WorkerSession& session = impl_->session;
  LTSWEEP_RETURN_IF_ERROR(ResolveOptions(o));
  Outbox outbox(OutboxOptions{(fs::path(o.work_dir) / "outbox").string(), o.outbox_max_bytes},
                [&session](const std::string& line) { session.Log(line); });
  LTSWEEP_RETURN_IF_ERROR(outbox.Load());
  LTSWEEP_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                           CreateCoordinatorChannel(o.coordinator, o.security, o.max_message_bytes, o.backoff.max_ms));
  CoordinatorClient client(std::move(channel), o.rpc_timeout);
  Registrar registrar(client, session, o);
  if (!registrar.RegisterUntilAccepted()) return registrar.auth_error();  // stopped, or the token was refused
  AttemptReporter reporter(client, outbox, session, o.clock, o.grace);
  reporter.DrainLeftovers();
  RunSlotsAndHeartbeats(o, client, session, registrar, reporter, outbox);
  session.Log(reporter.DropSummary());
  const Status s = client.StopWorker(session.id());
  session.Log(s.ok() ? "stopped" : "stopped (coordinator not told: " + DescribeRpcError(s) + ")");
  return registrar.auth_error();
}

}  // namespace ltsweep::worker
