#include "worker/worker.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "common/utc_time.h"
#include "proto/worker_service.grpc.pb.h"
#include "worker/event_mapper.h"
#include "worker/outbox.h"
#include "worker/trainer_process.h"

namespace ltsweep::worker {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;

namespace {

// Errors after which retrying the same call can succeed.
bool IsTransient(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return false;
    default:
      return true;
  }
}

// The coordinator no longer knows the lease (or the trial): drop the work.
bool IsLeaseGone(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::FAILED_PRECONDITION || s.error_code() == grpc::StatusCode::NOT_FOUND;
}

std::string Describe(const grpc::Status& s) {
  return fmt::format("{} ({})", s.error_message(), static_cast<int>(s.error_code()));
}

std::string DefaultTrainerPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path next_to = self.parent_path() / "ltsweep-train";
    if (access(next_to.c_str(), X_OK) == 0) return next_to.string();
  }
  return FindExecutable("ltsweep-train");
}

// "2026-01-02T03:04:05.678Z", for log lines.
std::string UtcNow() { return FormatUtcMillis(SystemClock::Default()->NowMillis()); }

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
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

// One lease a slot is working on; shared with the heartbeat thread.
struct Worker::Active {
  int slot = 0;
  int64_t trial_id = 0;
  int attempt = 0;
  std::string token;
  std::atomic<bool> gone{false};
  std::mutex mu;
  std::string gone_reason;  // GUARDED_BY(mu)
};

struct Worker::Impl {
  WorkerOptions options;
  Clock* clock;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::WorkerService::Stub> stub;
  std::unique_ptr<Outbox> outbox;
  std::string trainer;
  int threads_per_trial = 1;

  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::string worker_id;                           // GUARDED_BY(mu)
  std::map<int, std::shared_ptr<Active>> active;   // GUARDED_BY(mu), by slot
  bool reachable = true;                           // GUARDED_BY(mu)
  Ms heartbeat{5'000};
  std::mutex log_mu;
  std::mt19937_64 seed_rng;

  explicit Impl(WorkerOptions o) : options(std::move(o)) {
    clock = options.clock ? options.clock : SystemClock::Default();
    seed_rng.seed(options.seed ? options.seed : std::random_device{}());
  }

  void Log(const std::string& line) {
    std::string id;
    {
      std::lock_guard<std::mutex> lock(mu);
      id = worker_id.empty() ? "-" : worker_id;
    }
    std::string msg = fmt::format("worker {}: {}", id, line);
    std::lock_guard<std::mutex> lock(log_mu);
    if (options.log) {
      options.log(msg);
    } else {
      std::cerr << UtcNow() << " " << msg << std::endl;
    }
  }

  std::string Id() {
    std::lock_guard<std::mutex> lock(mu);
    return worker_id;
  }

  // Sleeps up to `d`, waking early on Stop(). False when stopping.
  bool WaitFor(Ms d) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, d, [&] { return stopping.load(); });
    return !stopping;
  }

  void ClientContext(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + options.rpc_timeout);
  }

  void NoteReachable(bool ok, const grpc::Status& s) {
    bool changed;
    {
      std::lock_guard<std::mutex> lock(mu);
      changed = reachable != ok;
      reachable = ok;
    }
    if (changed) {
      Log(ok ? "coordinator reachable again" : "coordinator unreachable: " + Describe(s) + "; retrying with backoff");
    }
  }

  Backoff MakeBackoff() {
    std::lock_guard<std::mutex> lock(mu);
    return Backoff(options.backoff, seed_rng());
  }

  // Registers (again) until it succeeds; false when stopping.
  bool Register() {
    Backoff backoff = MakeBackoff();
    char hostname[256] = {0};
    if (options.host.empty()) gethostname(hostname, sizeof(hostname) - 1);
    while (!stopping) {
      v1::RegisterRequest req;
      req.set_worker_id(Id().empty() ? options.worker_id : Id());
      req.set_host(options.host.empty() ? hostname : options.host);
      req.set_slots(options.slots);
      for (int g : options.gpus) req.add_gpus(g);
      req.set_pid(getpid());
      v1::RegisterResponse resp;
      grpc::ClientContext ctx;
      ClientContext(&ctx);
      grpc::Status s = stub->Register(&ctx, req, &resp);
      if (s.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu);
          worker_id = resp.worker_id();
          reachable = true;
          heartbeat = options.heartbeat_interval.count() > 0 ? options.heartbeat_interval
                                                              : Ms(std::max<int64_t>(100, resp.heartbeat_interval_ms()));
        }
        Log(fmt::format("registered: host {}, {} slot(s), trainer {}, heartbeat {} ms", req.host(), options.slots,
                        trainer, heartbeat.count()));
        return true;
      }
      if (!IsTransient(s)) Log("registration refused: " + Describe(s) + "; retrying");
      NoteReachable(false, s);
      if (!WaitFor(Ms(backoff.NextDelayMs()))) break;
    }
    return false;
  }

  // --- Heartbeats -----------------------------------------------------------

  void HeartbeatLoop() {
    while (WaitFor(heartbeat)) {
      std::vector<std::shared_ptr<Active>> held;
      {
        std::lock_guard<std::mutex> lock(mu);
        for (auto& [slot, a] : active) held.push_back(a);
      }
      v1::HeartbeatRequest req;
      req.set_worker_id(Id());
      for (auto& a : held) {
        auto* ref = req.add_leases();
        ref->set_trial_id(a->trial_id);
        ref->set_attempt(a->attempt);
        ref->set_token(a->token);
      }
      v1::HeartbeatResponse resp;
      grpc::ClientContext ctx;
      ClientContext(&ctx);
      grpc::Status s = stub->Heartbeat(&ctx, req, &resp);
      if (!s.ok()) {
        if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
          Log("coordinator does not know this worker: " + s.error_message() + "; registering again");
          Register();
          continue;
        }
        NoteReachable(false, s);
        continue;
      }
      NoteReachable(true, s);
      for (const auto& st : resp.leases()) {
        if (st.alive()) continue;
        for (auto& a : held) {
          if (a->trial_id == st.trial_id() && a->token == st.token() && !a->gone.exchange(true)) {
            {
              std::lock_guard<std::mutex> lock(a->mu);
              a->gone_reason = st.reason();
            }
            Log(fmt::format("lease of trial {} attempt {} is gone ({}): stopping its trainer", a->trial_id,
                            a->attempt, st.reason()));
          }
        }
      }
    }
  }

  // --- Metric batches -------------------------------------------------------

  enum class SendResult { kOk, kGone, kPending };

  SendResult SendOne(const v1::ReportMetricsRequest& batch, Active& a) {
    v1::ReportMetricsResponse resp;
    grpc::ClientContext ctx;
    ClientContext(&ctx);
    grpc::Status s = stub->ReportMetrics(&ctx, batch, &resp);
    if (s.ok()) {
      NoteReachable(true, s);
      return SendResult::kOk;
    }
    if (IsLeaseGone(s)) {
      MarkGone(a, "metrics refused: " + s.error_message());
      return SendResult::kGone;
    }
    if (!IsTransient(s)) {
      Log(fmt::format("trial {}: a metric batch of {} rows was refused and dropped: {}", a.trial_id,
                      batch.rows_size() + batch.payloads_size(), Describe(s)));
      return SendResult::kOk;
    }
    NoteReachable(false, s);
    return SendResult::kPending;
  }

  void MarkGone(Active& a, const std::string& reason) {
    if (a.gone.exchange(true)) return;
    {
      std::lock_guard<std::mutex> lock(a.mu);
      a.gone_reason = reason;
    }
    Log(fmt::format("lease of trial {} attempt {} is gone ({}): stopping its trainer", a.trial_id, a.attempt,
                    reason));
  }

  // Sends what the outbox holds for the lease, oldest first.
  SendResult Drain(Active& a) {
    while (auto batch = outbox->Front(a.trial_id, a.token)) {
      SendResult r = SendOne(*batch, a);
      if (r == SendResult::kPending) return r;
      if (r == SendResult::kGone) {
        outbox->Drop(a.trial_id, a.token);
        return r;
      }
      outbox->Pop(a.trial_id, a.token);
    }
    return SendResult::kOk;
  }

  // Sends a batch, or queues it in the outbox behind earlier unsent ones.
  SendResult Flush(v1::ReportMetricsRequest& batch, Active& a) {
    if (batch.rows_size() == 0 && batch.payloads_size() == 0) return SendResult::kOk;
    if (a.gone) {
      batch.clear_rows();
      batch.clear_payloads();
      return SendResult::kGone;
    }
    SendResult r;
    if (outbox->Empty(a.trial_id, a.token)) {
      r = SendOne(batch, a);
      if (r == SendResult::kPending) {
        Status st = outbox->Push(batch);
        if (!st.ok()) Log("cannot buffer a metric batch: " + st.ToString());
      }
    } else {
      Status st = outbox->Push(batch);
      if (!st.ok()) Log("cannot buffer a metric batch: " + st.ToString());
      r = Drain(a);
    }
    batch.clear_rows();
    batch.clear_payloads();
    return r;
  }

  // --- One trial --------------------------------------------------------------

  void RunTrial(int slot, const v1::LeaseResponse& lease) {
    auto a = std::make_shared<Active>();
    a->slot = slot;
    a->trial_id = lease.trial_id();
    a->attempt = lease.attempt();
    a->token = lease.token();
    {
      std::lock_guard<std::mutex> lock(mu);
      active[slot] = a;
    }
    Log(fmt::format("slot {}: leased trial {} (sweep {}) attempt {}", slot, a->trial_id, lease.sweep_id(),
                    a->attempt));

    const fs::path dir = fs::path(options.work_dir) / fmt::format("trial-{}-a{}", a->trial_id, a->attempt);
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string config_path = (dir / "config.json").string();
    std::ofstream(config_path) << lease.config_json() << "\n";

    SpawnOptions spawn;
    spawn.path = trainer;
    spawn.args = {"--config", config_path, "--threads", std::to_string(threads_per_trial)};
    if (options.gpus.empty()) {
      spawn.args.insert(spawn.args.end(), {"--device", "cpu"});
      spawn.env.push_back({"CUDA_VISIBLE_DEVICES", ""});
    } else {
      const int gpu = options.gpus[static_cast<size_t>(slot) % options.gpus.size()];
      spawn.args.insert(spawn.args.end(), {"--device", "cuda"});
      spawn.env.push_back({"CUDA_VISIBLE_DEVICES", std::to_string(gpu)});
    }
    if (!options.checkpoint_root.empty()) {
      // Keyed by trial id and config hash: trial ids restart in every
      // database, and a checkpoint root shared by several databases (or a
      // reused work dir) must never hand one trial another trial's state.
      std::string ckpt_name = std::to_string(a->trial_id);
      if (!lease.config_hash().empty()) ckpt_name += "-" + lease.config_hash().substr(0, 16);
      const fs::path ckpt = fs::path(options.checkpoint_root) / ckpt_name;
      fs::create_directories(ckpt, ec);
      spawn.args.insert(spawn.args.end(), {"--checkpoint-dir", ckpt.string(), "--resume"});
    }
    spawn.env.push_back({"OMP_NUM_THREADS", std::to_string(threads_per_trial)});
    spawn.stderr_log_path = (dir / "stderr.log").string();

    v1::FinishAttemptRequest finish;
    finish.set_worker_id(Id());
    finish.mutable_lease()->set_trial_id(a->trial_id);
    finish.mutable_lease()->set_attempt(a->attempt);
    finish.mutable_lease()->set_token(a->token);

    auto proc_or = TrainerProcess::Spawn(spawn);
    if (!proc_or.ok()) {
      finish.set_outcome(v1::FAILED_RETRYABLE);
      finish.set_error("cannot start the trainer: " + proc_or.status().message());
      finish.set_exit_code(-1);
      Report(*a, finish);
      Release(slot);
      return;
    }
    std::unique_ptr<TrainerProcess> proc = std::move(proc_or).value();

    v1::ReportMetricsRequest batch;
    batch.set_worker_id(finish.worker_id());
    *batch.mutable_lease() = finish.lease();
    int last_epoch = -1;
    std::string done_json;
    int64_t last_flush = clock->NowMillis();
    int64_t term_at = -1;
    bool killed = false;
    bool asked_stop = false;
    Backoff drain_backoff = MakeBackoff();
    int64_t next_drain = 0;
    bool closed = false;
    while (true) {
      for (const std::string& line : proc->ReadLines(50, &closed)) {
        auto ev = MapTrainerLine(line, last_epoch);
        if (!ev.ok()) {
          Log(fmt::format("trial {}: {}", a->trial_id, ev.status().message()));
          continue;
        }
        for (auto& r : ev->rows) *batch.add_rows() = std::move(r);
        for (auto& p : ev->payloads) *batch.add_payloads() = std::move(p);
        if (ev->kind == EventKind::kEpoch) last_epoch = ev->epoch;
        if (ev->kind == EventKind::kDone) done_json = line;
        if (ev->kind == EventKind::kCheckpoint || ev->kind == EventKind::kDone) {
          Flush(batch, *a);
          last_flush = clock->NowMillis();
        }
      }
      const int64_t now = clock->NowMillis();
      if (batch.rows_size() + batch.payloads_size() > 0 && now - last_flush >= options.metric_flush_interval.count()) {
        Flush(batch, *a);
        last_flush = now;
      }
      if (!a->gone && now >= next_drain && !outbox->Empty(a->trial_id, a->token)) {
        if (Drain(*a) == SendResult::kPending) {
          next_drain = now + drain_backoff.NextDelayMs();
        } else {
          drain_backoff.Reset();
        }
      }
      if (term_at < 0 && (a->gone || stopping)) {
        asked_stop = true;
        term_at = now;
        proc->Signal(SIGTERM);
        Log(fmt::format("slot {}: SIGTERM to the trainer of trial {} (pid {})", slot, a->trial_id, proc->pid()));
      }
      if (term_at >= 0 && !killed && now - term_at >= options.grace.count()) {
        killed = true;
        proc->Signal(SIGKILL);
        Log(fmt::format("slot {}: trainer of trial {} outlived the {} ms grace period: SIGKILL", slot, a->trial_id,
                        options.grace.count()));
      }
      if (closed) {
        if (proc->TryWait()) break;
        // stdout closed but the process lingers: poll again shortly.
        std::this_thread::sleep_for(Ms(10));
      }
    }
    const ExitInfo exit = proc->Wait();
    Flush(batch, *a);

    if (a->gone) {
      std::string reason;
      {
        std::lock_guard<std::mutex> lock(a->mu);
        reason = a->gone_reason;
      }
      outbox->Drop(a->trial_id, a->token);
      Log(fmt::format("slot {}: dropped trial {} attempt {} ({}); trainer {}", slot, a->trial_id, a->attempt, reason,
                      exit.Describe()));
      Release(slot);
      return;
    }

    finish.set_exit_code(exit.signaled ? -exit.signal : exit.code);
    const std::string tail = Trim(proc->StderrTail());
    if (!exit.signaled && exit.code == 0 && !done_json.empty()) {
      finish.set_outcome(v1::SUCCEEDED);
      finish.set_result_json(done_json);
    } else if (!exit.signaled && (exit.code == 2 || exit.code == 3)) {
      finish.set_outcome(v1::FAILED_PERMANENT);
      finish.set_error(tail.empty() ? fmt::format("trainer {} with no message", exit.Describe()) : tail);
    } else if (!exit.signaled && exit.code == 4 && asked_stop) {
      // Interrupted by us: does not use up one of the trial's tries.
      finish.set_outcome(v1::INTERRUPTED);
      finish.set_error("interrupted: the worker is shutting down");
    } else if (!exit.signaled && exit.code == 4) {
      // Nobody asked it to stop: counted like a crash, so a trainer that
      // keeps stopping itself cannot loop forever.
      finish.set_outcome(v1::FAILED_RETRYABLE);
      finish.set_error("trainer exited 4 (interrupted) without being asked to stop");
    } else {
      finish.set_outcome(v1::FAILED_RETRYABLE);
      std::string what = exit.code == 0 && !exit.signaled ? "trainer exited 0 without a done event"
                                                         : "trainer crashed: " + exit.Describe();
      finish.set_error(tail.empty() ? what : what + ": " + tail);
    }
    const bool accepted = Report(*a, finish);
    if (accepted && finish.outcome() == v1::SUCCEEDED && !options.keep_work_dirs) {
      fs::remove_all(dir, ec);  // best effort: a leftover folder harms nothing
    }
    Release(slot);
  }

  // Sends what is still buffered and the finish; retries while the coordinator
  // is unreachable (while stopping: for at most the grace period). True when
  // the coordinator accepted the finish.
  bool Report(Active& a, const v1::FinishAttemptRequest& finish) {
    Backoff backoff = MakeBackoff();
    const int64_t give_up_at = clock->NowMillis() + options.grace.count();
    while (true) {
      SendResult r = a.gone ? SendResult::kGone : Drain(a);
      if (r == SendResult::kGone) {
        Log(fmt::format("trial {} attempt {}: lease gone before the finish was reported; dropped", a.trial_id,
                        a.attempt));
        return false;
      }
      if (r == SendResult::kOk) {
        v1::FinishAttemptResponse resp;
        grpc::ClientContext ctx;
        ClientContext(&ctx);
        grpc::Status s = stub->FinishAttempt(&ctx, finish, &resp);
        if (s.ok()) {
          NoteReachable(true, s);
          Log(fmt::format("trial {} attempt {} finished: {}{}{} -> {}", a.trial_id, a.attempt,
                          v1::AttemptOutcome_Name(finish.outcome()), finish.error().empty() ? "" : ": ",
                          finish.error().substr(0, 200), resp.trial_state()));
          return true;
        }
        if (!IsTransient(s)) {
          Log(fmt::format("trial {} attempt {}: finish refused: {}; dropped", a.trial_id, a.attempt, Describe(s)));
          outbox->Drop(a.trial_id, a.token);
          return false;
        }
        NoteReachable(false, s);
      }
      if (stopping && clock->NowMillis() >= give_up_at) {
        Log(fmt::format("trial {} attempt {}: coordinator unreachable while shutting down; its lease will expire",
                        a.trial_id, a.attempt));
        return false;
      }
      const Ms delay(backoff.NextDelayMs());
      // Not WaitFor: reporting continues while stopping, until the give-up time.
      std::this_thread::sleep_for(std::min(delay, Ms(std::max<int64_t>(1, options.grace.count()))));
    }
  }

  void Release(int slot) {
    std::lock_guard<std::mutex> lock(mu);
    active.erase(slot);
  }

  // --- Slots ------------------------------------------------------------------

  void SlotLoop(int slot) {
    Backoff backoff = MakeBackoff();
    while (!stopping) {
      v1::LeaseRequest req;
      req.set_worker_id(Id());
      req.set_slot(slot);
      v1::LeaseResponse resp;
      grpc::ClientContext ctx;
      ClientContext(&ctx);
      grpc::Status s = stub->Lease(&ctx, req, &resp);
      if (!s.ok()) {
        if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
          Log("lease refused (" + s.error_message() + "); registering again");
          if (slot == 0) Register();
        } else {
          NoteReachable(false, s);
        }
        WaitFor(Ms(backoff.NextDelayMs()));
        continue;
      }
      NoteReachable(true, s);
      backoff.Reset();
      if (!resp.granted()) {
        WaitFor(Ms(std::max<int64_t>(10, resp.retry_after_ms())));
        continue;
      }
      if (stopping) {
        // Leased just as we were told to stop: hand it back as interrupted.
        auto a = std::make_shared<Active>();
        a->trial_id = resp.trial_id();
        a->attempt = resp.attempt();
        a->token = resp.token();
        v1::FinishAttemptRequest finish;
        finish.set_worker_id(Id());
        finish.mutable_lease()->set_trial_id(a->trial_id);
        finish.mutable_lease()->set_attempt(a->attempt);
        finish.mutable_lease()->set_token(a->token);
        finish.set_outcome(v1::INTERRUPTED);
        finish.set_error("interrupted: the worker is shutting down");
        Report(*a, finish);
        break;
      }
      RunTrial(slot, resp);
    }
  }

  // Batches an earlier run of the worker could not send.
  void DrainLeftovers() {
    for (const v1::LeaseRef& ref : outbox->Leases()) {
      Active a;
      a.trial_id = ref.trial_id();
      a.attempt = ref.attempt();
      a.token = ref.token();
      a.gone = false;
      SendResult r = Drain(a);
      Log(fmt::format("resent batches of trial {} attempt {} left by an earlier run: {}", a.trial_id, a.attempt,
                      r == SendResult::kOk ? "delivered" : r == SendResult::kGone ? "lease gone, dropped"
                                                                                    : "still pending"));
    }
  }
};

Worker::Worker(WorkerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Worker::~Worker() = default;

void Worker::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
}

std::string Worker::worker_id() const { return impl_->Id(); }

Status Worker::Run() {
  Impl& m = *impl_;
  WorkerOptions& o = m.options;
  if (o.coordinator.empty()) return InvalidArgumentError("--coordinator: the coordinator address is required");
  if (o.slots < 0) return InvalidArgumentError("--slots: must be at least 1");
  if (o.slots == 0) o.slots = o.gpus.empty() ? 1 : static_cast<int>(o.gpus.size());
  m.trainer = o.trainer_path.empty() ? DefaultTrainerPath() : FindExecutable(o.trainer_path);
  if (m.trainer.empty()) {
    return NotFoundError(o.trainer_path.empty()
                             ? "the trainer ltsweep-train is neither next to this program nor on $PATH (use --trainer)"
                             : "--trainer: " + o.trainer_path + " is not an executable file");
  }
  {
    std::error_code ec;
    m.trainer = fs::absolute(m.trainer, ec).string();
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  m.threads_per_trial = o.threads_per_trial > 0 ? o.threads_per_trial
                                                : std::max(1, static_cast<int>(cores) / std::max(1, o.slots));
  std::error_code ec;
  fs::create_directories(o.work_dir, ec);
  if (ec) return InvalidArgumentError(fmt::format("--work-dir: cannot create {}: {}", o.work_dir, ec.message()));
  m.outbox = std::make_unique<Outbox>(OutboxOptions{(fs::path(o.work_dir) / "outbox").string(), o.outbox_max_bytes});
  LTSWEEP_RETURN_IF_ERROR(m.outbox->Load());

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(o.max_message_bytes);
  args.SetMaxSendMessageSize(o.max_message_bytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(std::max<int64_t>(200, o.backoff.max_ms)));
  // After a coordinator restart, look the address up again without the
  // default 30 s rate limit.
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 200);
  m.channel = grpc::CreateCustomChannel(o.coordinator, grpc::InsecureChannelCredentials(), args);
  m.stub = v1::WorkerService::NewStub(m.channel);

  if (!m.Register()) return Status::Ok();  // stopped before the coordinator answered
  m.DrainLeftovers();
  std::thread heartbeat([&m] { m.HeartbeatLoop(); });
  std::vector<std::thread> slots;
  for (int i = 0; i < o.slots; ++i) slots.emplace_back([&m, i] { m.SlotLoop(i); });
  for (auto& t : slots) t.join();
  Stop();
  heartbeat.join();

  v1::StopWorkerRequest req;
  req.set_worker_id(m.Id());
  v1::StopWorkerResponse resp;
  grpc::ClientContext ctx;
  m.ClientContext(&ctx);
  grpc::Status s = m.stub->StopWorker(&ctx, req, &resp);
  m.Log(s.ok() ? "stopped" : "stopped (coordinator not told: " + Describe(s) + ")");
  return Status::Ok();
}

}  // namespace ltsweep::worker
