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
#include "coordinator/coordinator_server.h"
#include "worker/worker.h"

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
  std::string db, listen, lease_ttl, heartbeat, scan, idle_retry, port_file;
  int max_message_mb = 0;
  // Whether each optional flag was given (owned by the CLI::App).
  CLI::Option* listen_opt = nullptr;
  CLI::Option* lease_ttl_opt = nullptr;
  CLI::Option* heartbeat_opt = nullptr;
  CLI::Option* scan_opt = nullptr;
  CLI::Option* idle_retry_opt = nullptr;
  CLI::Option* max_message_opt = nullptr;
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
  OverrideDuration(flags.lease_ttl_opt, flags.lease_ttl, "--lease-ttl", &options.lease_ttl);
  OverrideDuration(flags.heartbeat_opt, flags.heartbeat, "--heartbeat", &options.heartbeat_interval);
  OverrideDuration(flags.scan_opt, flags.scan, "--scan-interval", &options.scan_interval);
  OverrideDuration(flags.idle_retry_opt, flags.idle_retry, "--idle-retry", &options.idle_retry);
  if (flags.max_message_opt->count() > 0) {
    if (flags.max_message_mb < 1) throw CommandError(kExitUsage, "--max-message-mb: must be at least 1");
    options.max_message_bytes = flags.max_message_mb << 20;
  }
  return options;
}

// Serves until SIGTERM or SIGINT.
void RunCoordinator(const coordinator::CoordinatorOptions& options, const std::string& port_file) {
  sigset_t stop_signals = BlockStopSignals();
  coordinator::CoordinatorServer server(options);
  auto port = server.Start();
  if (!port.ok()) {
    throw CommandError(port.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure,
                       port.status().message());
  }
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << *port << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }
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
  cmd->add_option("--port-file", flags->port_file, "Write the bound port to this file once listening");
  cmd->footer("Example:\n  ltsweep coordinator --db sweeps.db --listen 0.0.0.0:50051 --lease-ttl 30s");
  cmd->callback([flags] { RunCoordinator(CoordinatorOptionsFrom(*flags), flags->port_file); });
}

void RegisterWorker(CLI::App& app) {
  struct Flags {
    std::string coordinator, gpus, trainer, work_dir = "ltsweep-work", checkpoint_root, grace = "30s", heartbeat,
                                                flush = "1s", worker_id, backoff_max = "5s";
    int slots = 0;
    int threads = 0;
    bool keep_work_dirs = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("worker", "Run a worker: lease trials and run them in trainer processes");
  cmd->add_option("--coordinator", flags->coordinator,
                  "Coordinator address host:port (default: $LTSWEEP_COORDINATOR, else localhost:50051)");
  auto* gpus = cmd->add_option("--gpus", flags->gpus, "GPU indices, one slot each (e.g. 0,1)");
  auto* slots = cmd->add_option("--slots", flags->slots, "CPU slots (trials at a time) when no GPU is used");
  gpus->excludes(slots);
  cmd->add_option("--trainer", flags->trainer, "Trainer executable (default: ltsweep-train next to ltsweep, else on PATH)");
  cmd->add_option("--work-dir", flags->work_dir, "Per-trial files and the unsent-metrics outbox")
      ->capture_default_str();
  cmd->add_flag("--keep-work-dirs", flags->keep_work_dirs,
                "Keep the folders of succeeded attempts too (default: removed once the coordinator has the result; "
                "failed ones are always kept)");
  cmd->add_option("--checkpoint-root", flags->checkpoint_root,
                  "Shared folder for checkpoints: a retried trial resumes from <root>/<trial id>");
  cmd->add_option("--grace", flags->grace, "SIGTERM-to-SIGKILL grace period for trainers")->capture_default_str();
  cmd->add_option("--heartbeat", flags->heartbeat, "Heartbeat interval (default: what the coordinator asks)");
  cmd->add_option("--flush-interval", flags->flush, "Longest time metric rows wait before they are sent")
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "--threads of each trainer (default: cores / slots)");
  cmd->add_option("--worker-id", flags->worker_id, "Register under this id (default: assigned)");
  cmd->add_option("--backoff-max", flags->backoff_max, "Longest wait between retries while the coordinator is away")
      ->capture_default_str();
  cmd->footer("Example:\n  ltsweep worker --coordinator head:50051 --gpus 0,1 --checkpoint-root /shared/ckpt");
  cmd->callback([flags] {
    worker::WorkerOptions options;
    options.coordinator = flags->coordinator;
    if (options.coordinator.empty()) {
      const char* env = std::getenv("LTSWEEP_COORDINATOR");
      options.coordinator = env != nullptr && env[0] != '\0' ? env : "localhost:50051";
    }
    if (!flags->gpus.empty()) {
      auto g = worker::ParseGpuList(flags->gpus);
      if (!g.ok()) throw CommandError(kExitUsage, g.status().message());
      options.gpus = *g;
    }
    if (flags->slots < 0) throw CommandError(kExitUsage, "--slots: must be at least 1");
    options.slots = flags->slots;
    options.trainer_path = flags->trainer;
    options.work_dir = flags->work_dir;
    options.keep_work_dirs = flags->keep_work_dirs;
    options.checkpoint_root = flags->checkpoint_root;
    options.grace = DurationOrThrow(flags->grace, "--grace");
    if (!flags->heartbeat.empty()) options.heartbeat_interval = DurationOrThrow(flags->heartbeat, "--heartbeat");
    options.metric_flush_interval = DurationOrThrow(flags->flush, "--flush-interval");
    options.threads_per_trial = flags->threads;
    options.worker_id = flags->worker_id;
    options.backoff.max_ms = DurationOrThrow(flags->backoff_max, "--backoff-max").count();
    sigset_t stop_signals = BlockStopSignals();
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
  });
}

}  // namespace

void RegisterDaemonCommands(CLI::App& app) {
  RegisterCoordinator(app);
  RegisterWorker(app);
}

}  // namespace ltsweep::cli
