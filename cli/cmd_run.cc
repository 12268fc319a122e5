// `ltsweep run SPEC`: local mode (cli/commands.h). An in-process coordinator
// on 127.0.0.1 (any free port) with the database, one in-process Worker with
// N slots, live progress on stderr, the results table on stdout, and the HTML
// report when asked.
//
// Resuming: a sweep interrupted by Ctrl-C / SIGTERM stays unfinished in the
// database (its trainers checkpoint under WORK_DIR/checkpoints); running the
// same command again finds the unfinished sweep with the same spec text and
// carries it on instead of submitting a new one. A finished spec submitted
// again becomes a new sweep whose trials reuse the earlier results (config
// hash linking) unless --rerun.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/coordinator_client.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/utc_time.h"
#include "coordinator/coordinator_server.h"
#include "report/aggregate.h"
#include "report/html_report.h"
#include "report/stage_filter.h"
#include "report/table_format.h"
#include "spec/bayes.h"
#include "spec/expand.h"
#include "spec/stages.h"
#include "store/store.h"
#include "worker/gpu_detect.h"
#include "worker/lease_validation.h"
#include "worker/memory_limit.h"
#include "worker/slot_layout.h"
#include "worker/worker.h"

namespace ltsweep::cli {

namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string spec, db = "ltsweep.db", trainer, report, gpus = "auto", memory_limit = "0";
  std::string work_dir = worker::WorkerOptions{}.work_dir;  // the worker's default
  std::string slots = "auto";
  std::string http;  // --http: the dashboard while it runs
  int trials_per_gpu = 1;
  int threads = 0;
  bool rerun = false;
};

std::string ReadSpecOrThrow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandError(kExitUsage, fmt::format("{}: cannot read the sweep spec", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The trainer when --trainer is not given: ltsweep-train next to this
// program, or in ../trainer/ (the build tree), else the worker's default
// (PATH).
std::string DefaultTrainer() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const fs::path& p : {self.parent_path() / "ltsweep-train", self.parent_path() / ".." / "trainer" / "ltsweep-train"}) {
    if (access(p.c_str(), X_OK) == 0) return fs::weakly_canonical(p, ec).string();
  }
  return "";
}

// An unfinished sweep of the database with exactly this spec text, or 0.
int64_t FindUnfinishedSweep(Store& store, const std::string& yaml) {
  auto sweeps = store.ListSweeps();
  if (!sweeps.ok()) return 0;
  int64_t found = 0;
  for (const SweepInfo& s : *sweeps) {
    const bool open = s.sweep.state == SweepState::kPending || s.sweep.state == SweepState::kRunning;
    if (open && s.sweep.spec_yaml == yaml) found = std::max(found, s.sweep.id);
  }
  return found;
}

void PrintResults(const std::string& db_path, int64_t sweep_id, const std::string& report_path) {
  StoreOptions store_options;
  store_options.read_only = true;
  auto store = Store::Open(db_path, store_options);
  ThrowIfError(store.status());
  auto sweep = (*store)->GetSweepHistory(sweep_id);
  ThrowIfError(sweep.status());
  report::ResultsOptions options;
  options.metric = sweep->sweep.metric_name;
  options.goal = sweep->sweep.metric_goal;
  // A staged sweep: the table of its latest stage with trials (the grid),
  // never the range test's and plateau run's trials mixed in.
  auto stage = report::ChooseStage(sweep_id, sweep->stages, {});
  ThrowIfError(stage.status());
  std::vector<TrialHistory> stage_trials;
  if (stage->filters()) stage_trials = report::StageTrials(*stage, sweep->trials);
  const std::vector<TrialHistory>& shown = stage->filters() ? stage_trials : sweep->trials;
  if (stage->staged) {
    std::cout << stage->Note() << "\n";
    if (stage->left_out > 0) {
      std::cout << fmt::format("  (e.g. ltsweep results {} --db {} --stage 1)\n", sweep_id, db_path);
    }
  }
  auto table = report::AggregateResults(shown, options);
  if (table.ok()) {
    std::cout << report::FormatResults(*table, report::OutputFormat::kTable);
  } else {
    std::cerr << "ltsweep: no results table: " << table.status().message() << "\n";
  }
  if (report_path.empty()) return;
  report::ReportOptions ro;
  ro.results = options;
  ro.footer = fmt::format("Generated {} by ltsweep run.", FormatUtcMinutes(SystemClock::Default()->NowMillis()));
  auto html = report::RenderHtmlReport(*sweep, ro);
  ThrowIfError(html.status());
  std::ofstream out(report_path, std::ios::binary | std::ios::trunc);
  out << *html;
  out.close();
  if (!out) throw CommandError(kExitFailure, fmt::format("cannot write the report to {}", report_path));
  std::cout << "\nreport: " << report_path << "\n";
}

// A staged sweep's stages and what each found, on stdout; throws (exit 1)
// naming the stage when one failed.
void PrintStagesOrThrow(const std::string& db_path, int64_t sweep_id) {
  StoreOptions store_options;
  store_options.read_only = true;
  auto store = Store::Open(db_path, store_options);
  ThrowIfError(store.status());
  auto stages = (*store)->ListStages(sweep_id);
  ThrowIfError(stages.status());
  std::cout << "\nstages:\n";
  for (const StageRecord& s : *stages) {
    std::cout << fmt::format("  {}. {}: {}, {} trial(s){}\n", s.stage + 1, s.name, s.state, s.n_trials,
                             s.found_json.empty() || s.found_json == "{}" ? "" : "; found " + s.found_json);
    if (!s.error.empty()) {
      throw CommandError(kExitFailure, fmt::format("sweep {} failed at stage {} ({}): {}", sweep_id, s.stage + 1,
                                                   s.name, s.error));
    }
  }
}

// The local worker's slots for this spec (worker/slot_layout.h), printed
// on stderr: CPU slots (auto: one 1-thread slot per core, at most one per
// trial) for a spec with resources.gpus 0, GPU slots for one that asks for
// GPUs (refused when this machine has too few).
worker::LocalSlotChoice LocalSlotsOrThrow(const RunArgs& a, const std::string& yaml, int64_t trials) {
  auto parsed = spec::ParseSweepSpec(yaml, a.spec);
  ThrowIfError(parsed.status());
  int cpu_slots = worker::kAutoSlots;
  if (a.slots != "auto") {
    if (a.slots.empty() || a.slots.find_first_not_of("0123456789") != std::string::npos || a.slots.size() > 4 ||
        std::stoi(a.slots) < 1) {
      throw CommandError(kExitUsage, fmt::format("--slots/--workers: expected a number >= 1 or auto, got '{}'", a.slots));
    }
    cpu_slots = std::stoi(a.slots);
  }
  std::vector<int> gpus;
  std::string source = "--gpus";
  if (a.gpus == "auto") {
    const worker::GpuDetection found = worker::DetectGpusHere();
    gpus = found.gpus;
    source = "detected: " + found.source;
  } else if (a.gpus != "none") {
    auto g = worker::ParseGpuList(a.gpus);
    if (!g.ok()) throw CommandError(kExitUsage, g.status().message() + " (or auto, none)");
    gpus = *g;
  }
  if (parsed->gpus > 0 && a.slots != "auto") {
    throw CommandError(kExitUsage, fmt::format("--slots/--workers: {} runs GPU trials (resources.gpus: {}) on GPU "
                                               "slots; choose them with --gpus and --trials-per-gpu",
                                               a.spec, parsed->gpus));
  }
  const bool gpu_flags = (a.gpus != "auto" && a.gpus != "none") || a.trials_per_gpu != 1;
  if (parsed->gpus == 0 && gpu_flags) {
    throw CommandError(kExitUsage, fmt::format("--gpus/--trials-per-gpu: {} runs CPU trials (resources.gpus: 0); "
                                               "set resources.gpus to run its trials on GPUs", a.spec));
  }
  auto choice = worker::ChooseLocalSlots(static_cast<int>(parsed->gpus), cpu_slots, a.threads, gpus, source,
                                         worker::UsableCores(), trials);
  if (!choice.ok()) throw CommandError(kExitUsage, a.spec + ": " + choice.status().message());
  return *choice;
}

// Takes SIGINT / SIGTERM away from their default action, for sigtimedwait in
// the progress loop; the threads started afterwards inherit the mask.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

// The unfinished sweep of the database with this spec text (resumed), else
// a newly submitted one; returns its id.
int64_t ResumeOrSubmit(const RunArgs& a, const std::string& yaml, coordinator::CoordinatorServer& server,
                       CoordinatorClient& client) {
  int64_t sweep_id = a.rerun ? 0 : FindUnfinishedSweep(*server.store(), yaml);
  if (sweep_id > 0) {
    std::cerr << fmt::format("resuming sweep {} (unfinished in {})\n", sweep_id, a.db);
    return sweep_id;
  }
  auto submitted = client.Submit(yaml, a.spec, a.rerun);
  if (!submitted.ok()) {
    server.Shutdown();
    ThrowIfError(submitted.status());
  }
  if (submitted->run_cap() > 0) {
    std::cerr << fmt::format("sweep {}: bayes search, up to {} trials made as they run, in {}\n",
                             submitted->sweep_id(), submitted->run_cap(), a.db);
    return submitted->sweep_id();
  }
  std::cerr << fmt::format("sweep {}: {} trials ({} to run, {} reused from earlier runs) in {}\n",
                           submitted->sweep_id(), submitted->trials_total(), submitted->trials_queued(),
                           submitted->trials_reused(), a.db);
  return submitted->sweep_id();
}

// Local mode needs no set-up: its worker allows the trainer's default data
// places and every data.root / data.cache_dir its own spec names (the user
// who runs the spec wrote them; a worker daemon allows only --data-root).
std::vector<std::string> LocalDataRoots(const spec::ExpandedSweep& expanded) {
  std::vector<std::string> configs;
  for (const auto& trial : expanded.trials) configs.push_back(trial.config.dump());
  std::vector<std::string> roots = worker::DefaultDataRoots();
  for (std::string& folder : worker::DataFoldersOfConfigs(configs)) roots.push_back(std::move(folder));
  return roots;
}

// The local worker: CPU slots or one per GPU, checkpoints under the work
// dir, metrics sent twice a second.
worker::WorkerOptions LocalWorkerOptions(const RunArgs& a, const worker::LocalSlotChoice& slots,
                                         const std::string& address, const std::string& log_path,
                                         const std::vector<std::string>& data_roots) {
  worker::WorkerOptions wo;
  wo.coordinator = address;
  wo.gpus = slots.gpus;
  wo.gpus_per_slot = slots.gpus_per_slot;
  wo.trials_per_gpu = a.trials_per_gpu;
  wo.slots = slots.cpu_slots;
  wo.trainer_path = a.trainer.empty() ? DefaultTrainer() : a.trainer;
  wo.work_dir = a.work_dir;
  wo.checkpoint_root = (fs::path(a.work_dir) / "checkpoints").string();
  wo.threads_per_trial = slots.threads;
  wo.metric_flush_interval = std::chrono::milliseconds(500);
  wo.backoff.max_ms = 1'000;
  wo.log = FileLog(log_path, "worker");
  wo.data_roots = data_roots;
  auto limit = worker::ParseMemoryLimit(a.memory_limit);
  if (!limit.ok()) throw CommandError(kExitUsage, limit.status().message());
  wo.memory_limit_bytes = *limit;
  return wo;
}

// How the progress loop ended: the sweep finished (no error, no signal), a
// poll or the worker failed (error), or SIGINT / SIGTERM (signal).
struct LoopEnd {
  SweepProgress progress;
  Status error;
  int signal = 0;
};

// Draws the sweep's progress on stderr every half second until it ends.
LoopEnd ProgressLoop(int64_t sweep_id, CoordinatorClient& client, const sigset_t& stop_signals,
                     const std::atomic<bool>& worker_ended, const Status& worker_status) {
  ProgressTracker tracker(sweep_id);
  ProgressRenderer renderer(std::cerr, isatty(STDERR_FILENO) != 0);
  LoopEnd end;
  while (true) {
    auto next = tracker.Poll(client);
    if (!next.ok()) {
      end.error = next.status();
      break;
    }
    end.progress = std::move(next).value();
    renderer.Draw(end.progress);
    if (end.progress.Finished()) break;
    if (worker_ended) {
      end.error = worker_status.ok() ? InternalError("the local worker stopped early") : worker_status;
      break;
    }
    timespec tick{0, 500'000'000};
    const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      end.signal = sig;
      break;
    }
  }
  renderer.Finish();
  return end;
}

void RunLocal(const RunArgs& a) {
  if (a.threads < 0) throw CommandError(kExitUsage, "--threads: must be at least 1");
  if (auto limit = worker::ParseMemoryLimit(a.memory_limit); !limit.ok()) {
    throw CommandError(kExitUsage, limit.status().message());
  }
  const std::string yaml = ReadSpecOrThrow(a.spec);
  // The data is on this machine: check its paths too.
  auto expanded = spec::ValidateSweepTextOrSample(yaml, a.spec);  // bayes: a sample of its trials
  ThrowIfError(expanded.status());
  int64_t most_trials = static_cast<int64_t>(expanded->trials.size());
  if (yaml.find("stages:") != std::string::npos) {  // a staged spec: the largest stage (spec/stages.h)
    auto largest = spec::LargestStageTrials(yaml, a.spec);
    ThrowIfError(largest.status());
    most_trials = *largest;
  }
  const worker::LocalSlotChoice slots = LocalSlotsOrThrow(a, yaml, most_trials);
  std::cerr << "slots: " << slots.text << "\n";
  std::error_code ec;
  fs::create_directories(a.work_dir, ec);
  if (ec) throw CommandError(kExitFailure, fmt::format("--work-dir {}: {}", a.work_dir, ec.message()));
  // Daemon log lines go to one file, so that the terminal shows only progress.
  const std::string log_path = (fs::path(a.work_dir) / "ltsweep-run.log").string();
  const sigset_t stop_signals = BlockStopSignals();

  coordinator::CoordinatorOptions co;
  co.db_path = a.db;
  co.listen = "127.0.0.1:0";
  // One local worker: quarantining it would only stall the run.
  co.quarantine_after = 0;
  co.log = FileLog(log_path, "coordinator");
  co.http_listen = a.http;
  coordinator::CoordinatorServer server(co);
  auto port = server.Start();
  if (!port.ok()) throw CommandError(ExitCodeFor(port.status()), port.status().message());
  if (!a.http.empty()) std::cerr << fmt::format("dashboard: http://127.0.0.1:{}/\n", server.http_port());
  const std::string address = fmt::format("127.0.0.1:{}", *port);
  CoordinatorClient client(address);
  const int64_t sweep_id = ResumeOrSubmit(a, yaml, server, client);

  worker::Worker w(LocalWorkerOptions(a, slots, address, log_path, LocalDataRoots(*expanded)));
  std::atomic<bool> worker_ended{false};
  Status worker_status;
  std::thread worker_thread([&] {
    worker_status = w.Run();
    worker_ended = true;
  });
  const LoopEnd end = ProgressLoop(sweep_id, client, stop_signals, worker_ended, worker_status);
  if (end.signal != 0) {
    std::cerr << fmt::format("{} received: stopping the trainers (they checkpoint)...\n",
                             end.signal == SIGINT ? "SIGINT" : "SIGTERM");
  }
  w.Stop();
  worker_thread.join();
  server.Shutdown();
  if (end.signal != 0) {
    throw CommandError(kExitFailure,
                       fmt::format("interrupted: sweep {} is unfinished in {}; run the same command again to resume it",
                                   sweep_id, a.db));
  }
  ThrowIfError(end.error);
  PrintResults(a.db, sweep_id, a.report);
  const SweepProgress& p = end.progress;
  if (!p.stage.empty()) PrintStagesOrThrow(a.db, sweep_id);
  if (p.failed > 0 || p.cancelled > 0) {
    throw CommandError(kExitFailure, fmt::format("{} of {} trials failed (see `ltsweep trial ID --db {}`)",
                                                 p.failed + p.cancelled, p.total, a.db));
  }
}

}  // namespace

void RegisterLocalCommands(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a sweep locally to the end: coordinator and worker in this process");
  cmd->add_option("SPEC", a->spec, "Sweep spec (YAML)")->required();
  cmd->add_option("--slots,--workers", a->slots,
                  "CPU trials at a time: N, or auto (one 1-thread trial per core, at most one per trial; "
                  "prints what it chose)")
      ->capture_default_str();
  cmd->add_option("--gpus", a->gpus,
                  "GPUs for a spec with resources.gpus >= 1: indices (e.g. 0,1), auto (CUDA_VISIBLE_DEVICES, else "
                  "nvidia-smi -L) or none. A GPU spec on a machine without GPUs is refused")
      ->capture_default_str();
  cmd->add_option("--trials-per-gpu", a->trials_per_gpu,
                  "GPU trials sharing one GPU slot, each with 1/K of its memory")
      ->capture_default_str();
  cmd->add_option("--db", a->db, "Results database (created when absent)")->capture_default_str();
  cmd->add_option("--trainer", a->trainer,
                  "Trainer executable (default: ltsweep-train next to ltsweep or in the build tree, else on PATH)");
  cmd->add_option("--report", a->report, "Also write the HTML report to this file");
  cmd->add_option("--http", a->http,
                  "Serve the live dashboard and /metrics on this host:port while the sweep runs, e.g. "
                  "127.0.0.1:8080 (loopback only; default: none)");
  cmd->add_option("--threads", a->threads, "--threads of each trainer (default: cores / workers)");
  cmd->add_option("--work-dir", a->work_dir, "Per-trial files, checkpoints and the daemon log (ltsweep-run.log)")
      ->capture_default_str();
  cmd->add_flag("--rerun", a->rerun, "Run every trial again instead of reusing earlier identical results");
  cmd->add_option("--memory-limit", a->memory_limit,
                  "Address-space limit of each trainer (e.g. 8G, 512M; 0: none)")
      ->capture_default_str();
  cmd->footer(
      "Example:\n  ltsweep run sweeps/quickstart.yaml --report report.html   (slots: auto)\n"
      "  ltsweep run sweeps/quickstart.yaml --slots 2 --threads 1\n"
      "  ltsweep run sweeps/fmnist_lt_scheme.yaml   # stages: prints what each stage found; slots for the largest\n"
      "  ltsweep run sweeps/quickstart.yaml --http 127.0.0.1:8080   (watch it at http://127.0.0.1:8080/, "
      "docs/dashboard.md)\n"
      "Exit status: 0 when every trial succeeded (trials stopped early by the spec's early_terminate count as no "
      "failure), 1 when any failed or on Ctrl-C (run the same command again to "
      "resume), 2 for a bad spec or flags.");
  cmd->callback([a] { RunLocal(*a); });
}

}  // namespace ltsweep::cli
