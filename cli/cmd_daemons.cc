// `ltsweep coordinator` and `ltsweep worker` (see cli/commands.h).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/security_flags.h"
#include "coordinator/coordinator_server.h"
#include "worker/gpu_detect.h"
#include "worker/memory_limit.h"
#include "worker/slot_layout.h"
#include "worker/worker.h"
#include "worker/worker_http.h"

namespace ltsweep::cli {

namespace {

// Blocks SIGTERM/SIGINT in this thread and every thread started after it, so
// they can be taken with sigwait.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

std::chrono::milliseconds DurationOrThrow(const std::string& text, const std::string& flag) {
  auto d = ParseDuration(text, flag);
  if (!d.ok()) throw CommandError(kExitUsage, d.status().message());
  return *d;
}

// `ltsweep coordinator`: flags override coordinator::CoordinatorOptions only
// when given; --help shows the options' defaults.
struct CoordinatorFlags {
  std::string db, listen, lease_ttl, heartbeat, scan, idle_retry, port_file, quarantine_cooldown, health_listen;
  std::string http_listen, http_port_file;
  int max_message_mb = 0;
  int max_spec_kb = 0;
  int max_page_size = 0, max_watch_streams = 0;
  int quarantine_after = 0;
  ServerSecurityFlags security;
  // Whether each optional flag was given (owned by the CLI::App).
  CLI::Option* listen_opt = nullptr;
  CLI::Option* lease_ttl_opt = nullptr;
  CLI::Option* heartbeat_opt = nullptr;
  CLI::Option* scan_opt = nullptr;
  CLI::Option* idle_retry_opt = nullptr;
  CLI::Option* max_message_opt = nullptr;
  CLI::Option* max_spec_opt = nullptr;
  CLI::Option* max_page_size_opt = nullptr;
  CLI::Option* max_watch_streams_opt = nullptr;
  CLI::Option* quarantine_after_opt = nullptr;
  CLI::Option* quarantine_cooldown_opt = nullptr;
};

// Sets `*field` from the duration flag `opt` when it was given.
void OverrideDuration(const CLI::Option* opt, const std::string& text, const std::string& flag,
                      std::chrono::milliseconds* field) {
  if (opt->count() > 0) *field = DurationOrThrow(text, flag);
}

coordinator::CoordinatorOptions CoordinatorOptionsFrom(const CoordinatorFlags& flags) {
  coordinator::CoordinatorOptions options;
  options.db_path = flags.db;
  if (flags.listen_opt->count() > 0) options.listen = flags.listen;
  options.health_listen = flags.health_listen;
  options.http_listen = flags.http_listen;
  OverrideDuration(flags.lease_ttl_opt, flags.lease_ttl, "--lease-ttl", &options.lease_ttl);
  OverrideDuration(flags.heartbeat_opt, flags.heartbeat, "--heartbeat", &options.heartbeat_interval);
  OverrideDuration(flags.scan_opt, flags.scan, "--scan-interval", &options.scan_interval);
  OverrideDuration(flags.idle_retry_opt, flags.idle_retry, "--idle-retry", &options.idle_retry);
  if (flags.max_message_opt->count() > 0) {
    if (flags.max_message_mb < 1) throw CommandError(kExitUsage, "--max-message-mb: must be at least 1");
    options.max_message_bytes = flags.max_message_mb << 20;
  }
  if (flags.max_spec_opt->count() > 0) {
    if (flags.max_spec_kb < 1) throw CommandError(kExitUsage, "--max-spec-kb: must be at least 1");
    options.max_spec_bytes = int64_t{flags.max_spec_kb} * 1024;
  }
  if (flags.max_page_size_opt->count() > 0) options.max_page_size = flags.max_page_size;
  if (flags.max_watch_streams_opt->count() > 0) options.max_watch_streams = flags.max_watch_streams;
  if (flags.quarantine_after_opt->count() > 0) {
    if (flags.quarantine_after < 0) throw CommandError(kExitUsage, "--quarantine-after: must be 0 (never) or more");
    options.quarantine_after = flags.quarantine_after;
  }
  OverrideDuration(flags.quarantine_cooldown_opt, flags.quarantine_cooldown, "--quarantine-cooldown",
                   &options.quarantine_cooldown);
  options.security.tls_cert_file = flags.security.tls_cert;
  options.security.tls_key_file = flags.security.tls_key;
  options.security.tls_client_ca_file = flags.security.tls_client_ca;
  options.security.insecure = flags.security.insecure;
  options.security.auth_tokens_file = flags.security.auth_tokens;
  options.security.reflection = flags.security.reflection;
  return options;
}

// Serves until SIGTERM or SIGINT.
// Writes `port` to `path` atomically (a reader never sees half a file).
void WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

void RunCoordinator(const coordinator::CoordinatorOptions& options, const std::string& port_file,
                    const std::string& http_port_file) {
  sigset_t stop_signals = BlockStopSignals();
  coordinator::CoordinatorServer server(options);
  auto port = server.Start();
  if (!port.ok()) {
    throw CommandError(port.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure,
                       port.status().message());
  }
  if (!http_port_file.empty()) WritePortFile(http_port_file, server.http_port());
  if (!port_file.empty()) WritePortFile(port_file, *port);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.options().log(fmt::format("{} received: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM"));
  server.Shutdown();
}

void RegisterCoordinator(CLI::App& app) {
  auto flags = std::make_shared<CoordinatorFlags>();
  const coordinator::CoordinatorOptions defaults;
  CLI::App* cmd = app.add_subcommand("coordinator", "Run the coordinator: the gRPC server that owns the database");
  cmd->add_option("--db", flags->db, "SQLite database (created when absent)")->required();
  flags->listen_opt = cmd->add_option("--listen", flags->listen, "Listen address host:port (port 0: any free port)")
                          ->default_str(defaults.listen);
  cmd->add_option("--health-listen", flags->health_listen,
                  "Also serve grpc.health.v1 alone, in plain text, on this host:port (for probes that cannot "
                  "speak TLS, e.g. Kubernetes gRPC probes; default: none)");
  cmd->add_option("--http", flags->http_listen,
                  "Serve the live dashboard and Prometheus /metrics on this host:port, e.g. 127.0.0.1:8080 (port "
                  "0: any free port), with the gRPC port's TLS and tokens (read role); default: none");
  cmd->add_option("--http-port-file", flags->http_port_file,
                  "Write the bound --http port here once serving (written before --port-file)");
  flags->lease_ttl_opt =
      cmd->add_option("--lease-ttl", flags->lease_ttl, "A lease not renewed within this long is retried elsewhere")
          ->default_str(FormatDuration(defaults.lease_ttl));
  flags->heartbeat_opt = cmd->add_option("--heartbeat", flags->heartbeat, "Heartbeat interval asked of workers")
                             ->default_str(FormatDuration(defaults.heartbeat_interval));
  flags->scan_opt = cmd->add_option("--scan-interval", flags->scan,
                                    "How often expired leases are looked for (default min(1s, ttl/4))");
  flags->idle_retry_opt = cmd->add_option("--idle-retry", flags->idle_retry, "Idle workers ask again after this long")
                              ->default_str(FormatDuration(defaults.idle_retry));
  flags->max_message_opt =
      cmd->add_option("--max-message-mb", flags->max_message_mb, "Largest gRPC message accepted, MiB")
          ->default_str(std::to_string(defaults.max_message_bytes >> 20));
  flags->max_spec_opt =
      cmd->add_option("--max-spec-kb", flags->max_spec_kb, "Largest sweep spec accepted by submit, KiB")
          ->default_str(std::to_string(defaults.max_spec_bytes / 1024));
  flags->max_page_size_opt =
      cmd->add_option("--max-page-size", flags->max_page_size,
                      "Most trials in one ListTrials answer (clients page through larger sweeps)")
          ->default_str(std::to_string(defaults.max_page_size));
  flags->max_watch_streams_opt =
      cmd->add_option("--max-watch-streams", flags->max_watch_streams,
                      "Most `ltsweep watch` streams open at once; one more is refused (RESOURCE_EXHAUSTED)")
          ->default_str(std::to_string(defaults.max_watch_streams));
  flags->quarantine_after_opt =
      cmd->add_option("--quarantine-after", flags->quarantine_after,
                      "Quarantine a worker after this many crashes or cannot-run-here failures in a row (0: never)")
          ->default_str(std::to_string(defaults.quarantine_after));
  flags->quarantine_cooldown_opt =
      cmd->add_option("--quarantine-cooldown", flags->quarantine_cooldown,
                      "A quarantined worker gets no lease for this long (doubled each time before a success)")
          ->default_str(FormatDuration(defaults.quarantine_cooldown));
  cmd->add_option("--port-file", flags->port_file, "Write the bound port to this file once listening");
  AddServerSecurityOptions(cmd, &flags->security);
  cmd->footer(
      "Example:\n  ltsweep coordinator --db sweeps.db --listen 0.0.0.0:50051 --tls-cert server.crt --tls-key server.key "
      "--auth-tokens tokens\n  ltsweep coordinator --db sweeps.db   (127.0.0.1:50051, plain text, no tokens)\n"
      "  ltsweep coordinator --db sweeps.db --http 127.0.0.1:8080   (live dashboard at http://127.0.0.1:8080/, "
      "docs/dashboard.md)\n"
      "A non-loopback --listen needs TLS or --insecure; see docs/security.md.");
  cmd->callback([flags] { RunCoordinator(CoordinatorOptionsFrom(*flags), flags->port_file, flags->http_port_file); });
}

// "30s", "1s", "500ms": a duration as the worker's flags take it (for --help).
std::string DurationText(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

// The worker's flags as given. Each overrides its WorkerOptions field only
// when given: the defaults live in worker/worker_options.h, and --help shows
// them from a default-constructed WorkerOptions.
struct WorkerFlags {
  std::string coordinator, gpus, trainer, work_dir, checkpoint_root, grace, heartbeat, flush, worker_id, backoff_max,
      no_progress, lease_margin, exit_when_idle;
  std::string memory_limit;
  std::vector<std::string> data_roots;
  std::string slots;
  int gpus_per_slot = 1, trials_per_gpu = 1;
  int threads = 0;
  bool keep_work_dirs = false;
  ClientSecurityFlags security;
  // /metrics (worker/worker_http.h)
  std::string http_listen, http_port_file;
  bool http_insecure = false;
};

void AddWorkerFlags(CLI::App* cmd, WorkerFlags& f) {
  const worker::WorkerOptions defaults;
  cmd->add_option("--coordinator", f.coordinator,
                  "Coordinator address host:port (default: $LTSWEEP_COORDINATOR, else localhost:50051)");
  cmd->add_option("--gpus", f.gpus,
                  "GPUs to run trials on: indices (e.g. 0,1), auto (CUDA_VISIBLE_DEVICES, else nvidia-smi -L) or "
                  "none; GPU slots run only sweeps with resources.gpus >= 1")
      ->default_str("auto");
  cmd->add_option("--cpu-slots,--slots", f.slots,
                  "CPU slots (trials of sweeps with resources.gpus: 0 at a time): N or auto (one 1-thread slot per "
                  "core not taken by a GPU slot) (default: 1 without GPUs, 0 with)");
  cmd->add_option("--gpus-per-slot", f.gpus_per_slot,
                  "GPUs each GPU slot holds, taken from --gpus in order: its trials are those of sweeps with "
                  "resources.gpus equal to it")
      ->default_str(std::to_string(defaults.gpus_per_slot));
  cmd->add_option("--trials-per-gpu", f.trials_per_gpu,
                  "Trials sharing one GPU (slot): each trainer gets --gpu-memory-fraction 1/K of its memory, and a "
                  "trial that does not fit exits 5 and goes elsewhere")
      ->default_str(std::to_string(defaults.trials_per_gpu));
  cmd->add_option("--trainer", f.trainer, "Trainer executable (default: ltsweep-train next to ltsweep, else on PATH)");
  cmd->add_option("--work-dir", f.work_dir, "Per-trial files and the unsent-metrics outbox")
      ->default_str(defaults.work_dir);
  cmd->add_flag("--keep-work-dirs", f.keep_work_dirs,
                "Keep the folders of succeeded attempts too (default: removed once the coordinator has the result; "
                "failed ones are always kept)");
  cmd->add_option("--checkpoint-root", f.checkpoint_root,
                  "Shared folder for checkpoints: a retried trial resumes from <root>/<trial id>");
  cmd->add_option("--grace", f.grace, "SIGTERM-to-SIGKILL grace period for trainers")
      ->default_str(DurationText(defaults.grace));
  cmd->add_option("--heartbeat", f.heartbeat, "Heartbeat interval (default: what the coordinator asks)");
  cmd->add_option("--no-progress-timeout", f.no_progress,
                  "Stop a trainer that prints no event for this long; its attempt fails retryably (used when the "
                  "sweep sets no limit of its own; 0: no watchdog)")
      ->default_str(DurationText(defaults.no_progress_timeout));
  cmd->add_option("--lease-margin", f.lease_margin,
                  "Stop a trainer whose lease was not renewed for lease TTL minus this margin (coordinator "
                  "unreachable), so a trial never runs twice at once (default: max(2 heartbeats, 10% of the TTL))");
  cmd->add_option("--exit-when-idle", f.exit_when_idle,
                  "Exit (status 0) once no trial has run for this long, e.g. 5m: a batch job frees its node when "
                  "the queue is empty (0: never)")
      ->default_str(DurationText(defaults.exit_when_idle));
  cmd->add_option("--flush-interval", f.flush, "Longest time metric rows wait before they are sent")
      ->default_str(DurationText(defaults.metric_flush_interval));
  cmd->add_option("--threads", f.threads,
                  "--threads of each trainer (default: 1 on auto CPU slots, else cores / slots)");
  cmd->add_option("--worker-id", f.worker_id, "Register under this id (default: assigned)");
  cmd->add_option("--backoff-max", f.backoff_max, "Longest wait between retries while the coordinator is away")
      ->default_str(DurationText(std::chrono::milliseconds(defaults.backoff.max_ms)));
  cmd->add_option("--data-root", f.data_roots,
                  "A folder the trials' data.root and data.cache_dir may lie in (repeatable; default: "
                  "/usr/share/datasets and the cache folder, $LTSWEEP_CACHE_DIR or ~/.cache/ltsweep). A trial "
                  "naming another folder is refused and retried elsewhere");
  cmd->add_option("--memory-limit", f.memory_limit,
                  "Address-space limit of each trainer (e.g. 8G, 512M; 0: none). A trainer past it crashes "
                  "and the error says 'memory limit 8G reached?'")
      ->default_str("0");
  AddClientSecurityOptions(cmd, &f.security);
  cmd->add_option("--http", f.http_listen,
                  "Serve /metrics (Prometheus) and /healthz on this host:port, e.g. 127.0.0.1:9101 (port 0: any "
                  "free port); off a loopback address it needs --tls-cert/--tls-key (HTTPS) or --http-insecure");
  cmd->add_option("--http-port-file", f.http_port_file, "Write the bound --http port here once serving");
  cmd->add_flag("--http-insecure", f.http_insecure,
                "Serve --http as plain HTTP on a non-loopback address (no token is asked: counts only)");
  cmd->footer(
      "Example:\n  ltsweep worker --coordinator head:50051 --gpus 0,1 --checkpoint-root /shared/ckpt "
      "--tls-ca ca.crt --token-file worker.token\n"
      "  ltsweep worker --coordinator head:50051 --gpus 0 --exit-when-idle 5m   (in a batch job)\n"
      "  ltsweep worker --gpus 0 --trials-per-gpu 4 --cpu-slots auto   (4 GPU trials share GPU 0; CPU trials on "
      "the other cores)\n"
      "  ltsweep worker --coordinator head:50051 --http 127.0.0.1:9101   (Prometheus scrapes "
      "http://127.0.0.1:9101/metrics)");
}

// The GPUs of --gpus: a list, "none", or "auto"/absent (detected; the
// worker says what it found on stderr).
std::vector<int> GpusFromFlag(const std::string& text) {
  if (text == "none") return {};
  if (text.empty() || text == "auto") {
    const worker::GpuDetection found = worker::DetectGpusHere();
    if (!found.gpus.empty()) {
      std::cerr << fmt::format("worker: --gpus auto: {} GPU(s) from {}\n", found.gpus.size(), found.source);
    }
    return found.gpus;
  }
  auto g = worker::ParseGpuList(text);
  if (!g.ok()) throw CommandError(kExitUsage, g.status().message() + " (or auto, none)");
  return *g;
}

// --cpu-slots N | auto.
int CpuSlotsFromFlag(const std::string& text) {
  if (text == "auto") return worker::kAutoSlots;
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 4) {
    throw CommandError(kExitUsage, fmt::format("--cpu-slots: expected a number of slots or auto, got '{}'", text));
  }
  return std::stoi(text);
}

// WorkerOptions with the defaults of worker/worker_options.h, overridden by
// the flags given. Throws a usage error naming a bad flag.
worker::WorkerOptions WorkerOptionsFromFlags(const CLI::App& cmd, const WorkerFlags& f) {
  auto given = [&cmd](const char* flag) { return cmd.count(flag) > 0; };
  worker::WorkerOptions options;
  options.coordinator = f.coordinator;
  if (options.coordinator.empty()) {
    const char* env = std::getenv("LTSWEEP_COORDINATOR");
    options.coordinator = env != nullptr && env[0] != '\0' ? env : "localhost:50051";
  }
  options.gpus = GpusFromFlag(f.gpus);
  if (given("--cpu-slots")) options.slots = CpuSlotsFromFlag(f.slots);
  if (given("--gpus-per-slot")) options.gpus_per_slot = f.gpus_per_slot;
  if (given("--trials-per-gpu")) options.trials_per_gpu = f.trials_per_gpu;
  if (given("--trainer")) options.trainer_path = f.trainer;
  if (given("--work-dir")) options.work_dir = f.work_dir;
  if (given("--keep-work-dirs")) options.keep_work_dirs = f.keep_work_dirs;
  if (given("--checkpoint-root")) options.checkpoint_root = f.checkpoint_root;
  if (given("--grace")) options.grace = DurationOrThrow(f.grace, "--grace");
  if (!f.heartbeat.empty()) options.heartbeat_interval = DurationOrThrow(f.heartbeat, "--heartbeat");
  if (given("--flush-interval")) options.metric_flush_interval = DurationOrThrow(f.flush, "--flush-interval");
  if (given("--threads")) options.threads_per_trial = f.threads;
  if (given("--worker-id")) options.worker_id = f.worker_id;
  if (given("--backoff-max")) options.backoff.max_ms = DurationOrThrow(f.backoff_max, "--backoff-max").count();
  if (given("--no-progress-timeout")) {
    options.no_progress_timeout = DurationOrThrow(f.no_progress, "--no-progress-timeout");
  }
  if (given("--exit-when-idle")) options.exit_when_idle = DurationOrThrow(f.exit_when_idle, "--exit-when-idle");
  if (given("--lease-margin")) options.lease_margin = DurationOrThrow(f.lease_margin, "--lease-margin");
  if (given("--data-root")) options.data_roots = f.data_roots;
  if (given("--memory-limit")) {
    auto limit = worker::ParseMemoryLimit(f.memory_limit);
    if (!limit.ok()) throw CommandError(kExitUsage, limit.status().message());
    options.memory_limit_bytes = *limit;
  }
  auto security = ResolveClientSecurity(f.security);
  if (!security.ok()) throw CommandError(ExitCodeFor(security.status()), security.status().message());
  options.security = std::move(security).value();
  return options;
}

// The worker's /metrics server when --http is given (nullptr otherwise),
// started, its port written to --http-port-file.
std::unique_ptr<http::HttpServer> StartWorkerHttp(const WorkerFlags& f) {
  if (f.http_listen.empty()) return nullptr;
  worker::WorkerHttpOptions options;
  options.listen = f.http_listen;
  options.tls_cert_file = f.security.tls_cert;
  options.tls_key_file = f.security.tls_key;
  options.insecure = f.http_insecure;
  options.log = [](const std::string& line) { std::cerr << "worker: http: " << line << std::endl; };
  auto server = worker::MakeWorkerHttpServer(options);
  if (!server.ok()) throw CommandError(ExitCodeFor(server.status()), server.status().message());
  auto port = (*server)->Start();
  if (!port.ok()) throw CommandError(ExitCodeFor(port.status()), port.status().message());
  std::cerr << fmt::format("worker: /metrics on {}://{} (port {})", (*server)->scheme(), f.http_listen, *port)
            << std::endl;
  if (!f.http_port_file.empty()) WritePortFile(f.http_port_file, *port);
  return std::move(server).value();
}

// Runs the worker until SIGTERM or SIGINT has wound it down.
void RunWorkerDaemon(const worker::WorkerOptions& options, const WorkerFlags& flags) {
  sigset_t stop_signals = BlockStopSignals();
  std::unique_ptr<http::HttpServer> http = StartWorkerHttp(flags);
  worker::Worker w(options);
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    timespec tick{0, 200'000'000};
    while (!done) {
      int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        std::cerr << "worker: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
                  << " received: no new leases, stopping trainers" << std::endl;
        w.Stop();
      }
    }
  });
  Status s = w.Run();
  done = true;
  waiter.join();
  if (!s.ok()) throw CommandError(ExitCodeFor(s), s.message());
}

void RegisterWorker(CLI::App& app) {
  auto flags = std::make_shared<WorkerFlags>();
  CLI::App* cmd = app.add_subcommand("worker", "Run a worker: lease trials and run them in trainer processes");
  AddWorkerFlags(cmd, *flags);
  cmd->callback([cmd, flags] { RunWorkerDaemon(WorkerOptionsFromFlags(*cmd, *flags), *flags); });
}

}  // namespace

void RegisterDaemonCommands(CLI::App& app) {
  RegisterCoordinator(app);
  RegisterWorker(app);
}

}  // namespace ltsweep::cli
