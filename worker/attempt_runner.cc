#include "worker/attempt_runner.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "worker/attempt_rules.h"
#include "worker/event_mapper.h"
#include "worker/lease_validation.h"
#include "worker/memory_limit.h"
#include "worker/trainer_command.h"
#include "worker/trainer_process.h"

namespace ltsweep::worker {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;

namespace {

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Creates the attempt's folder (and its checkpoint folder), writes the trial
// config there, and returns how to start the trainer.
SpawnOptions PrepareAttempt(const WorkerOptions& options, int slot, const v1::LeaseResponse& lease,
                            const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  TrainerInvocation invocation;
  invocation.trainer = options.trainer_path;
  invocation.config_path = (dir / "config.json").string();
  std::ofstream(invocation.config_path) << lease.config_json() << "\n";
  invocation.threads = options.threads_per_trial;
  invocation.gpu = SlotGpu(options.gpus, slot);
  if (!options.checkpoint_root.empty()) {
    const fs::path ckpt = fs::path(options.checkpoint_root) / CheckpointName(lease.trial_id(), lease.config_hash());
    fs::create_directories(ckpt, ec);
    invocation.checkpoint_dir = ckpt.string();
  }
  invocation.stderr_log_path = (dir / "stderr.log").string();
  invocation.memory_limit_bytes = options.memory_limit_bytes;
  return MakeSpawnOptions(invocation);
}

// Watches one running trainer until it exits: relays its events as metric
// batches, re-sends what waits in the outbox, and stops it when its lease is
// gone or the worker stops. Not thread-safe: one per attempt, on its slot's
// thread.
class TrainerWatch {
 public:
  TrainerWatch(const WorkerOptions& options, WorkerSession& session, AttemptReporter& reporter,
               TrainerProcess& proc, ActiveLease& lease, int slot, const std::string& worker_id)
      : options_(options),
        session_(session),
        reporter_(reporter),
        proc_(proc),
        lease_(lease),
        slot_(slot),
        drain_backoff_(session.MakeBackoff()),
        last_flush_(options.clock->NowMillis()) {
    batch_.set_worker_id(worker_id);
    *batch_.mutable_lease() = lease.Ref();
  }

  // Returns the trainer's exit, with saw_done and asked_to_stop filled in.
  contract::TrainerExit Run();
  // The done event ("" when the trainer printed none).
  const std::string& done_json() const { return done_json_; }

 private:
  void Relay(const std::vector<std::string>& lines);
  void FlushIfDue(int64_t now);
  void DrainIfDue(int64_t now);
  void StopIfAsked(int64_t now);

  const WorkerOptions& options_;
  WorkerSession& session_;
  AttemptReporter& reporter_;
  TrainerProcess& proc_;
  ActiveLease& lease_;
  const int slot_;
  v1::ReportMetricsRequest batch_;
  int last_epoch_ = -1;
  std::string done_json_;
  Backoff drain_backoff_;
  int64_t last_flush_;
  int64_t next_drain_ = 0;
  int64_t term_at_ = -1;  // when SIGTERM was sent; -1: not yet
  bool killed_ = false;
};

contract::TrainerExit TrainerWatch::Run() {
  bool closed = false;
  while (true) {
    Relay(proc_.ReadLines(50, &closed));
    const int64_t now = options_.clock->NowMillis();
    FlushIfDue(now);
    DrainIfDue(now);
    StopIfAsked(now);
    if (closed) {
      if (proc_.TryWait()) break;
      // stdout closed but the process lingers: poll again shortly.
      std::this_thread::sleep_for(Ms(10));
    }
  }
  contract::TrainerExit exit = proc_.Wait();
  reporter_.Flush(batch_, lease_);
  exit.saw_done = !done_json_.empty();
  exit.asked_to_stop = term_at_ >= 0;
  return exit;
}

void TrainerWatch::Relay(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    auto ev = MapTrainerLine(line, last_epoch_);
    if (!ev.ok()) {
      session_.Log(fmt::format("trial {}: {}", lease_.trial_id(), ev.status().message()));
      continue;
    }
    for (auto& r : ev->rows) *batch_.add_rows() = std::move(r);
    for (auto& p : ev->payloads) *batch_.add_payloads() = std::move(p);
    if (ev->kind == EventKind::kEpoch) last_epoch_ = ev->epoch;
    if (ev->kind == EventKind::kDone) done_json_ = line;
    if (ev->kind == EventKind::kCheckpoint || ev->kind == EventKind::kDone) {
      reporter_.Flush(batch_, lease_);
      last_flush_ = options_.clock->NowMillis();
    }
  }
}

void TrainerWatch::FlushIfDue(int64_t now) {
  if (batch_.rows_size() + batch_.payloads_size() == 0) return;
  if (now - last_flush_ < options_.metric_flush_interval.count()) return;
  reporter_.Flush(batch_, lease_);
  last_flush_ = now;
}

void TrainerWatch::DrainIfDue(int64_t now) {
  if (lease_.gone() || now < next_drain_ || !reporter_.HasBuffered(lease_)) return;
  if (reporter_.Drain(lease_) == SendResult::kPending) {
    next_drain_ = now + drain_backoff_.NextDelayMs();
  } else {
    drain_backoff_.Reset();
  }
}

void TrainerWatch::StopIfAsked(int64_t now) {
  if (term_at_ < 0 && ShouldStopTrainer(lease_.gone(), session_.stopping())) {
    term_at_ = now;
    proc_.Signal(SIGTERM);
    session_.Log(fmt::format("slot {}: SIGTERM to the trainer of trial {} (pid {})", slot_, lease_.trial_id(),
                             proc_.pid()));
  }
  if (term_at_ >= 0 && !killed_ && now - term_at_ >= options_.grace.count()) {
    killed_ = true;
    proc_.Signal(SIGKILL);
    session_.Log(fmt::format("slot {}: trainer of trial {} outlived the {} ms grace period: SIGKILL", slot_,
                             lease_.trial_id(), options_.grace.count()));
  }
}

}  // namespace

AttemptRunner::AttemptRunner(const WorkerOptions& options, WorkerSession& session, LeaseTable& leases,
                             AttemptReporter& reporter)
    : options_(options), session_(session), leases_(leases), reporter_(reporter) {}

void AttemptRunner::Run(int slot, const v1::LeaseResponse& lease) {
  auto active = std::make_shared<ActiveLease>(lease.trial_id(), lease.attempt(), lease.token());
  leases_.Put(slot, active);
  session_.Log(fmt::format("slot {}: leased trial {} (sweep {}) attempt {}", slot, lease.trial_id(),
                           lease.sweep_id(), lease.attempt()));
  if (!LeaseIsValid(slot, *active, lease)) {
    leases_.Erase(slot);
    return;
  }
  const fs::path dir = fs::path(options_.work_dir) / AttemptDirName(lease.trial_id(), lease.attempt());
  const SpawnOptions spawn = PrepareAttempt(options_, slot, lease, dir);
  const std::string worker_id = session_.id();
  auto proc = TrainerProcess::Spawn(spawn);
  if (!proc.ok()) {
    const FinishPlan plan = PlanSpawnFailure(proc.status().message());
    reporter_.Finish(*active, MakeFinishRequest(worker_id, active->Ref(), plan));
  } else {
    TrainerWatch watch(options_, session_, reporter_, **proc, *active, slot, worker_id);
    const contract::TrainerExit exit = watch.Run();
    Conclude(slot, *active, dir.string(), exit, watch.done_json(), TrimRight((*proc)->StderrTail()), worker_id);
  }
  leases_.Erase(slot);
}

bool AttemptRunner::LeaseIsValid(int slot, ActiveLease& active, const v1::LeaseResponse& lease) {
  const LeaseFields fields{lease.trial_id(), lease.attempt(), lease.token(), lease.config_hash(), lease.config_json()};
  const Status valid =
      ValidateLease(fields, DataRootPolicy(options_.data_roots.empty() ? DefaultDataRoots() : options_.data_roots));
  if (valid.ok()) return true;
  FinishPlan plan;
  plan.outcome = RefusalMayRunElsewhere(valid) ? v1::RETRY_ELSEWHERE : v1::FAILED_PERMANENT;
  plan.error = "lease refused by the worker: " + valid.message();
  plan.exit_code = -1;
  session_.Log(fmt::format("slot {}: {} (trial {})", slot, plan.error, lease.trial_id()));
  reporter_.Finish(active, MakeFinishRequest(session_.id(), active.Ref(), plan));
  return false;
}

void AttemptRunner::Conclude(int slot, ActiveLease& lease, const std::string& dir, const contract::TrainerExit& exit,
                             const std::string& done_json, const std::string& stderr_tail,
                             const std::string& worker_id) {
  FinishPlan plan = PlanFinish(exit, done_json, stderr_tail, lease.gone());
  if (plan.outcome == v1::FAILED_RETRYABLE) {
    plan.error = MemoryLimitNote(options_.memory_limit_bytes, stderr_tail) + plan.error;  // "memory limit 8G reached? "
  }
  if (plan.drop) {
    reporter_.Drop(lease);
    session_.Log(fmt::format("slot {}: dropped trial {} attempt {} ({}); trainer {}", slot, lease.trial_id(),
                             lease.attempt(), lease.gone_reason(), contract::DescribeExit(exit)));
    return;
  }
  const bool accepted = reporter_.Finish(lease, MakeFinishRequest(worker_id, lease.Ref(), plan));
  if (accepted && plan.outcome == v1::SUCCEEDED && !options_.keep_work_dirs) {
    std::error_code ec;
    fs::remove_all(dir, ec);  // best effort: a leftover folder harms nothing
  }
}

}  // namespace ltsweep::worker
