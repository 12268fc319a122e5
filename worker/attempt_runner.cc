#include "worker/attempt_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "worker/attempt_log.h"
#include "worker/attempt_rules.h"
#include "worker/event_mapper.h"
#include "worker/gpu_detect.h"
#include "worker/lease_guard.h"
#include "worker/lease_validation.h"
#include "worker/memory_limit.h"
#include "worker/trainer_command.h"
#include "worker/trainer_process.h"
#include "worker/worker_metrics.h"

namespace ltsweep::worker {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;

namespace {

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The error of a failed file operation of the worker; "work dir full: ..."
// when the disk (or quota) is full.
Status WorkerFileError(const std::string& what, int err) {
  const std::string text = fmt::format("{}: {}", what, std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError("work dir full: " + text);
  return InternalError(text);
}

Status CreateFolder(const fs::path& dir, const char* what) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return WorkerFileError(fmt::format("cannot create the {} {}", what, dir.string()), ec.value());
  return Status::Ok();
}

// Writes `text` to `path` (truncating), checking every write and the close.
Status WriteWholeFile(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return WorkerFileError("cannot write " + path, errno);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      close(fd);
      return WorkerFileError("cannot write " + path, err);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return WorkerFileError("cannot write " + path, errno);
  return Status::Ok();
}

// Creates the attempt's folder (and its checkpoint folder), writes the trial
// config there, and returns how to start the trainer. An error is a fault of
// the worker (the message says what failed).
StatusOr<SpawnOptions> PrepareAttempt(const WorkerOptions& options, int slot, const v1::LeaseResponse& lease,
                                      const fs::path& dir) {
  LTSWEEP_RETURN_IF_ERROR(CreateFolder(dir, "attempt folder"));
  TrainerInvocation invocation;
  invocation.trainer = options.trainer_path;
  invocation.config_path = (dir / "config.json").string();
  LTSWEEP_RETURN_IF_ERROR(WriteWholeFile(invocation.config_path, lease.config_json() + "\n"));
  const SlotDevices& devices = options.slot_layout.at(static_cast<size_t>(slot));
  invocation.threads = devices.threads;
  if (lease.gpus_size() > 0) {
    // The coordinator matched the trial to this slot's GPUs (a lease
    // without gpus is a CPU trial, also from an older coordinator).
    const char* parent = std::getenv("CUDA_VISIBLE_DEVICES");
    auto visible = ChildVisibleDevices(devices.gpus, parent ? std::optional<std::string>(parent) : std::nullopt);
    if (!visible.ok()) return InternalError("slot " + std::to_string(slot) + ": " + visible.status().message());
    invocation.cuda_visible_devices = *visible;
    invocation.gpu_memory_fraction = devices.gpu_memory_fraction;
  }
  if (!options.checkpoint_root.empty()) {
    const fs::path ckpt = fs::path(options.checkpoint_root) / CheckpointName(lease.trial_id(), lease.config_hash());
    LTSWEEP_RETURN_IF_ERROR(CreateFolder(ckpt, "checkpoint folder"));
    invocation.checkpoint_dir = ckpt.string();
  }
  invocation.stderr_log_path = (dir / "stderr.log").string();
  invocation.memory_limit_bytes = options.memory_limit_bytes;
  return MakeSpawnOptions(invocation);
}

// "epoch 3", "checkpoint", "start", ...: an event for the no-progress error.
std::string DescribeEvent(const MappedEvent& ev) {
  switch (ev.kind) {
    case EventKind::kEpoch:
      return fmt::format("epoch {}", ev.epoch);
    case EventKind::kStart:
      return "start";
    case EventKind::kCheckpoint:
      return "checkpoint";
    case EventKind::kDone:
      return "done";
    case EventKind::kOther:
      break;
  }
  return "event";
}

// Watches one running trainer until it exits: relays its events as metric
// batches, re-sends what waits in the outbox, and stops it when DecideStop
// says so -- except for the partition rule, which a LeaseGuard applies on a
// thread of its own (worker/lease_guard.h). Not thread-safe: one per attempt,
// on its slot's thread.
class TrainerWatch {
 public:
  TrainerWatch(const WorkerOptions& options, WorkerSession& session, AttemptReporter& reporter,
               TrainerProcess& proc, AttemptLog& log, ActiveLease& lease, const v1::LeaseResponse& grant, int slot,
               const std::string& worker_id)
      : options_(options),
        session_(session),
        reporter_(reporter),
        proc_(proc),
        log_(log),
        lease_(lease),
        slot_(slot),
        timeout_ms_(grant.timeout_ms()),
        no_progress_ms_(grant.no_progress_timeout_ms() > 0 ? grant.no_progress_timeout_ms()
                                                           : options.no_progress_timeout.count()),
        drain_backoff_(session.MakeBackoff()),
        started_ms_(options.clock->NowMillis()),
        last_flush_(started_ms_),
        last_log_ship_(started_ms_),
        last_event_ms_(started_ms_),
        guard_(options, session, lease, proc, slot) {
    batch_.set_worker_id(worker_id);
    *batch_.mutable_lease() = lease.Ref();
  }

  // Returns the trainer's exit, with saw_done and asked_to_stop filled in.
  contract::TrainerExit Run();
  // The done event ("" when the trainer printed none).
  const std::string& done_json() const { return done_json_; }
  // Why the worker stopped the trainer (kNone: it ended by itself).
  const StopDecision& stop() const { return stop_; }

 private:
  void Relay(const std::vector<std::string>& lines);
  void FlushIfDue(int64_t now);
  void ShipLogIfDue(int64_t now);
  void ShipLogRest();
  void DrainIfDue(int64_t now);
  void StopIfAsked(int64_t now);
  WatchState State(int64_t now) const;

  const WorkerOptions& options_;
  WorkerSession& session_;
  AttemptReporter& reporter_;
  TrainerProcess& proc_;
  AttemptLog& log_;
  ActiveLease& lease_;
  const int slot_;
  const int64_t timeout_ms_;
  const int64_t no_progress_ms_;
  v1::ReportMetricsRequest batch_;
  int last_epoch_ = -1;
  std::string done_json_;
  Backoff drain_backoff_;
  const int64_t started_ms_;
  int64_t last_flush_;
  int64_t last_log_ship_;
  int64_t last_event_ms_;
  std::string last_event_;  // "" until the first event
  int64_t next_drain_ = 0;
  StopDecision stop_;
  int64_t term_at_ = -1;  // when SIGTERM was sent; -1: not yet
  int64_t kill_at_ = -1;
  bool killed_ = false;
  LeaseGuard guard_;  // last: its thread starts once the rest is set
};

contract::TrainerExit TrainerWatch::Run() {
  bool closed = false;
  std::optional<contract::TrainerExit> exit;
  int64_t exited_at = -1;
  while (true) {
    Relay(proc_.ReadLines(50, &closed));
    for (const std::string& note : proc_.TakeNotes()) {
      session_.Log(fmt::format("trial {}: {}", lease_.trial_id(), note));
    }
    const int64_t now = options_.clock->NowMillis();
    FlushIfDue(now);
    ShipLogIfDue(now);
    DrainIfDue(now);
    // Reaping kills what is left of the trainer's process group, so a
    // descendant holding stdout open cannot keep the attempt alive.
    if (!exit) exit = proc_.TryWait();
    if (!exit) StopIfAsked(now);
    if (exit && exited_at < 0) exited_at = now;
    // Read its output to the end, but wait no longer than the grace period
    // for a descendant that left the group and holds stdout.
    if (exit && (closed || now - exited_at >= options_.grace.count())) break;
  }
  guard_.Finish();
  StopDecision partition = guard_.decision();
  if (partition.reason != StopReason::kNone) stop_ = std::move(partition);  // the coordinator has likely moved on
  ShipLogRest();
  reporter_.Flush(batch_, lease_);
  exit->saw_done = !done_json_.empty();
  // A batch scheduler's stop (scancel) signals every process of the job at
  // once: an exit 4 while this worker is stopping is that interruption too.
  exit->asked_to_stop = term_at_ >= 0 || stop_.reason == StopReason::kLeaseNotRenewed || session_.stopping();
  return *exit;
}

void TrainerWatch::Relay(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    auto ev = MapTrainerLine(line, last_epoch_);
    if (!ev.ok()) {
      session_.Log(fmt::format("trial {}: {}", lease_.trial_id(), ev.status().message()));
      continue;
    }
    last_event_ms_ = options_.clock->NowMillis();
    last_event_ = DescribeEvent(*ev);
    for (auto& r : ev->rows) *batch_.add_rows() = std::move(r);
    for (auto& p : ev->payloads) *batch_.add_payloads() = std::move(p);
    if (ev->runtime) *batch_.mutable_runtime() = std::move(*ev->runtime);
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

// The most log text one report carries.
constexpr int64_t kLogBytesPerReport = 8 * kTrialLogChunkBytes;
// Log text goes at most this often (sooner once a chunk's worth waits), even
// with a shorter metric_flush_interval: a trainer printing a line at a time
// costs one report per interval, not one per line.
constexpr int64_t kLogShipMinIntervalMs = 200;

// While the trainer runs: its new stderr every metric_flush_interval (at
// least 200 ms apart; at once past a chunk's worth), unless earlier reports wait in the outbox (the
// coordinator is unreachable: the text waits in the AttemptLog, bounded, not
// in the outbox).
void TrainerWatch::ShipLogIfDue(int64_t now) {
  const int64_t pending = log_.pending_bytes();
  if (pending == 0 || lease_.gone()) return;
  const int64_t interval = std::max<int64_t>(options_.metric_flush_interval.count(), kLogShipMinIntervalMs);
  if (pending < kTrialLogChunkBytes && now - last_log_ship_ < interval) return;
  if (reporter_.HasBuffered(lease_)) return;
  for (TextChunk& chunk : log_.TakeChunks(kLogBytesPerReport)) {
    v1::LogChunk* out = batch_.add_log_chunks();
    out->set_offset(chunk.offset);
    out->set_text(std::move(chunk.text));
  }
  reporter_.Flush(batch_, lease_);
  last_log_ship_ = last_flush_ = now;
}

// Once the trainer has exited: the rest of its stderr (what was kept),
// before the finish; through the outbox when the coordinator is away.
void TrainerWatch::ShipLogRest() {
  log_.Close();
  while (!lease_.gone() && log_.pending_bytes() > 0) {
    for (TextChunk& chunk : log_.TakeChunks(kLogBytesPerReport)) {
      v1::LogChunk* out = batch_.add_log_chunks();
      out->set_offset(chunk.offset);
      out->set_text(std::move(chunk.text));
    }
    reporter_.Flush(batch_, lease_);
  }
  if (log_.skipped_bytes() > 0) {
    session_.Log(fmt::format("trial {} attempt {}: {} bytes of trainer stderr past the {} kept were not shipped",
                             lease_.trial_id(), lease_.attempt(), log_.skipped_bytes(), kTrialLogKeepBytes));
  }
}

void TrainerWatch::DrainIfDue(int64_t now) {
  if (lease_.gone() || now < next_drain_ || !reporter_.HasBuffered(lease_)) return;
  if (reporter_.Drain(lease_) == SendResult::kPending) {
    next_drain_ = now + drain_backoff_.NextDelayMs();
  } else {
    drain_backoff_.Reset();
  }
}

WatchState TrainerWatch::State(int64_t now) const {
  WatchState s;
  s.lease_gone = lease_.gone();
  s.early_stop = lease_.stop_requested();
  if (s.early_stop) s.early_stop_reason = lease_.stop_reason();
  s.stopping = session_.stopping();
  s.now_ms = now;
  s.started_ms = started_ms_;
  s.last_event_ms = last_event_ms_;
  s.last_event = last_event_;
  s.lease_ttl_ms = 0;  // the partition rule is the LeaseGuard's
  s.timeout_ms = timeout_ms_;
  s.no_progress_ms = no_progress_ms_;
  return s;
}

void TrainerWatch::StopIfAsked(int64_t now) {
  if (term_at_ < 0) {
    const WatchState state = State(now);
    StopDecision decision = DecideStop(state);
    if (decision.reason == StopReason::kNone) return;
    stop_ = std::move(decision);
    term_at_ = now;
    kill_at_ = KillAt(stop_.reason, now, options_.grace.count(), state);
    proc_.Signal(SIGTERM);
    const std::string why = !stop_.message.empty()                     ? stop_.message
                            : stop_.reason == StopReason::kLeaseGone ? "lease gone"
                                                                     : "worker stopping";
    session_.Log(fmt::format("slot {}: SIGTERM to the trainer of trial {} (process group {}): {}", slot_,
                             lease_.trial_id(), proc_.pid(), why));
  }
  if (!killed_ && now >= kill_at_) {
    killed_ = true;
    proc_.Signal(SIGKILL);
    session_.Log(fmt::format("slot {}: trainer of trial {} still running {} ms after SIGTERM: SIGKILL to its group",
                             slot_, lease_.trial_id(), now - term_at_));
  }
}

}  // namespace

AttemptRunner::AttemptRunner(const WorkerOptions& options, WorkerSession& session, LeaseTable& leases,
                             AttemptReporter& reporter)
    : options_(options), session_(session), leases_(leases), reporter_(reporter) {}

void AttemptRunner::Run(int slot, const v1::LeaseResponse& lease, int64_t leased_ms) {
  auto active = std::make_shared<ActiveLease>(lease.trial_id(), lease.attempt(), lease.token(), leased_ms);
  leases_.Put(slot, active);
  session_.Log(fmt::format("slot {}: leased trial {} (sweep {}) attempt {}", slot, lease.trial_id(),
                           lease.sweep_id(), lease.attempt()));
  if (!LeaseIsValid(slot, *active, lease)) {
    leases_.Erase(slot);
    return;
  }
  const fs::path dir = fs::path(options_.work_dir) / AttemptDirName(lease.trial_id(), lease.attempt());
  const std::string worker_id = session_.id();
  StatusOr<SpawnOptions> spawn = PrepareAttempt(options_, slot, lease, dir);
  AttemptLog log;  // the trial log: the trainer's stderr, shipped with the reports
  StatusOr<std::unique_ptr<TrainerProcess>> proc = InternalError("not started");
  if (spawn.ok()) {
    spawn->on_stderr = [&log](std::string_view bytes) { log.Append(bytes); };
    proc = TrainerProcess::Spawn(*spawn);
  }
  if (!spawn.ok() || !proc.ok()) {
    Metrics().faults.Increment();
    const FinishPlan plan = !spawn.ok() ? PlanWorkerFault(spawn.status().message())
                                        : PlanSpawnFailure(proc.status().message());
    session_.Log(fmt::format("slot {}: worker fault on trial {} attempt {}: {}", slot, lease.trial_id(),
                             lease.attempt(), plan.error));
    reporter_.Finish(*active, MakeFinishRequest(worker_id, active->Ref(), plan));
  } else {
    Metrics().attempts_started.Increment();
    TrainerWatch watch(options_, session_, reporter_, **proc, log, *active, lease, slot, worker_id);
    const contract::TrainerExit exit = watch.Run();
    Conclude(slot, *active, dir.string(), exit, watch.done_json(), TrimRight((*proc)->StderrTail()), watch.stop(),
             worker_id);
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
                             const std::string& done_json, const std::string& stderr_tail, const StopDecision& stop,
                             const std::string& worker_id) {
  Metrics().Exits(contract::ClassifyExit(exit).cls).Increment();
  FinishPlan plan = PlanFinish(exit, done_json, stderr_tail, lease.gone(), stop);
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
