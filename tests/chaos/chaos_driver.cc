// ltsweep-chaos: the chaos harness of issue 11. One coordinator and worker
// daemons (real processes on loopback, a real SQLite file, the fake trainer
// with checkpoints) run a sweep while a seeded driver injects faults:
//
//   worker SIGKILLs (the daemon alone, or with its trainers: a machine
//   crash), each followed by a restart; coordinator SIGKILL + restart on the
//   same port (some down longer than the lease TTL); partitions of one
//   worker (its TcpProxy turned into a black hole); SIGSTOPs of one worker
//   and its trainers past the lease; a black-hole worker (its trainers exit
//   5); a crash-looping worker (its trainers crash at once); a full disk
//   under one worker's work dir (a small tmpfs; skipped with a note when
//   mount fails, e.g. not root).
//
// At the end, from the database and the trainers' trace: every trial
// succeeded exactly once, no two trainer runs of one trial overlapped, one
// row per metric key, no stale write accepted, the bad workers (one slot
// each, --bad-worker-slots) quarantined by a coordinator run with
// --quarantine-after 2 (the driver's --quarantine-after), having harmed at
// most --max-harmed (2) trials each, integrity_check ok. Prints
// the figures; exits 0 when every check passed, 1 when one failed, 2 on a
// usage or setup error.
//
//   ltsweep-chaos --profile short        # ctest chaos_short (about 1-2 min)
//   ltsweep-chaos --profile long         # make chaos: 200 trials, 135 faults
//   ltsweep-chaos --profile short --seed 7 --worker-kills 20 --keep
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <sqlite3.h>

#include "tests/chaos/chaos_checks.h"
#include "tests/chaos/chaos_cluster.h"
#include "tests/chaos/trainer_trace.h"

#ifndef LTSWEEP_CLI_PATH
#define LTSWEEP_CLI_PATH "ltsweep"
#endif
#ifndef LTSWEEP_FAKE_TRAIN_PATH
#define LTSWEEP_FAKE_TRAIN_PATH "ltsweep-fake-train"
#endif

namespace ltsweep::chaos {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct DriverOptions {
  int trials = 40;
  // A trial runs well past the lease TTL (8 x 400 ms > 2 s), so a frozen
  // or cut-off worker's trainer would still run when its trial is retried.
  int epochs = 8;
  int epoch_ms = 400;
  uint64_t seed = 1;
  int duration_budget_s = 170;  // stop injecting and check after this long
  int worker_kills = 10;
  int coordinator_restarts = 3;
  int partitions = 2;
  int sigstops = 1;
  bool black_hole = true;
  bool crash_loop = true;
  bool full_disk = true;
  int healthy_workers = 4;
  int max_attempts = 20;  // the sweep's: worker kills cost tries, losing none is the point
  // The bad workers' bound. A bad worker harms at most quarantine_after +
  // slots - 1 trials (each slot may lease once more before the failure that
  // quarantines it is reported), so with one slot per bad worker and
  // --quarantine-after 2 the bound is exactly 2. The coordinator's default
  // quarantine_after stays 3 (coordinator/options.h).
  int max_harmed = 2;
  int quarantine_after = 2;  // passed as the coordinator's --quarantine-after
  int bad_worker_slots = 1;  // slots of the black-hole and crash-loop workers
  Ms lease_ttl{2000};
  std::string dir;        // empty: a new folder under $TMPDIR
  bool keep = false;      // keep the folder even when every check passed
  std::string ltsweep = LTSWEEP_CLI_PATH;
  std::string trainer = LTSWEEP_FAKE_TRAIN_PATH;
  std::string ltsweep_worker;  // empty: `ltsweep` runs the workers too
  std::vector<std::string> coordinator_args;
};

// --profile long: the run.
void LongProfile(DriverOptions* o) {
  o->trials = 200;
  o->epochs = 8;
  o->epoch_ms = 400;
  o->duration_budget_s = 1500;
  o->worker_kills = 100;
  o->coordinator_restarts = 20;
  o->partitions = 10;
  o->sigstops = 5;
}

int Usage(const std::string& why) {
  std::cerr << "ltsweep-chaos: " << why << "\n"
            << "usage: ltsweep-chaos [--profile short|long] [--trials N] [--epochs N] [--epoch-ms MS] [--seed S]\n"
               "         [--duration-budget SECONDS] [--worker-kills N] [--coordinator-restarts N] [--partitions N]\n"
               "         [--sigstops N] [--no-black-hole] [--no-crash-loop] [--no-full-disk] [--workers N]\n"
               "         [--max-attempts N] [--max-harmed N] [--quarantine-after N] [--bad-worker-slots N]\n"
               "         [--lease-ttl-ms MS] [--dir DIR] [--keep]\n"
               "         [--ltsweep PATH] [--ltsweep-worker PATH] [--trainer PATH] [--coordinator-arg ARG]...\n";
  return 2;
}

// Parses argv into *o; a usage message, or "" when fine.
std::string ParseFlags(int argc, char** argv, DriverOptions* o) {
  std::map<std::string, int*> ints = {
      {"--trials", &o->trials}, {"--epochs", &o->epochs}, {"--epoch-ms", &o->epoch_ms},
      {"--duration-budget", &o->duration_budget_s}, {"--worker-kills", &o->worker_kills},
      {"--coordinator-restarts", &o->coordinator_restarts}, {"--partitions", &o->partitions},
      {"--sigstops", &o->sigstops}, {"--workers", &o->healthy_workers}, {"--max-attempts", &o->max_attempts},
      {"--max-harmed", &o->max_harmed}, {"--quarantine-after", &o->quarantine_after},
      {"--bad-worker-slots", &o->bad_worker_slots}};
  std::map<std::string, bool*> offs = {
      {"--no-black-hole", &o->black_hole}, {"--no-crash-loop", &o->crash_loop}, {"--no-full-disk", &o->full_disk}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--profile" && has_value) {
      const std::string p = argv[++i];
      if (p == "long") LongProfile(o);
      else if (p != "short") return "--profile: short or long, not " + p;
    } else if (ints.count(a) && has_value) {
      *ints[a] = std::atoi(argv[++i]);
    } else if (offs.count(a)) {
      *offs[a] = false;
    } else if (a == "--seed" && has_value) {
      o->seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--lease-ttl-ms" && has_value) {
      o->lease_ttl = Ms(std::atoi(argv[++i]));
    } else if (a == "--dir" && has_value) {
      o->dir = argv[++i];
    } else if (a == "--keep") {
      o->keep = true;
    } else if (a == "--ltsweep" && has_value) {
      o->ltsweep = argv[++i];
    } else if (a == "--ltsweep-worker" && has_value) {
      o->ltsweep_worker = argv[++i];
    } else if (a == "--trainer" && has_value) {
      o->trainer = argv[++i];
    } else if (a == "--coordinator-arg" && has_value) {
      o->coordinator_args.push_back(argv[++i]);
    } else {
      return "unknown or incomplete argument " + a;
    }
  }
  if (o->trials < 1 || o->epochs < 1 || o->healthy_workers < 1) return "--trials, --epochs, --workers: at least 1";
  if (o->quarantine_after < 1 || o->bad_worker_slots < 1) return "--quarantine-after, --bad-worker-slots: at least 1";
  return "";
}

// A sweep of `trials` trials: one train.lr value each, so every trial has
// its own config (and hash).
std::string SpecYaml(const DriverOptions& o) {
  std::string lrs;
  for (int i = 0; i < o.trials; ++i) lrs += fmt::format("{}{:.4f}", i ? ", " : "", 0.01 + 0.0001 * i);
  return fmt::format("name: chaos\nconfig:\n  train: {{epochs: {}}}\nseeds: [{}]\nmax_attempts: {}\n"
                     "parameters:\n  train.lr: {{values: [{}]}}\n",
                     o.epochs, o.seed % 1000, o.max_attempts, lrs);
}

// Trials of the sweep that are finished (succeeded, failed or cancelled),
// read from the database beside the running coordinator; -1 on error.
int FinishedTrials(const std::string& db_path, int64_t sweep_id) {
  sqlite3* db = nullptr;
  const std::string uri = "file:" + db_path + "?mode=ro";
  int n = -1;
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = fmt::format(
        "SELECT count(*) FROM trials WHERE sweep_id = {} AND status IN ('succeeded', 'failed', 'cancelled')",
        sweep_id);
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      n = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return n;
}

enum class Fault { kWorkerKill, kCoordinatorRestart, kPartition, kSigstop, kFullDisk };

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kWorkerKill: return "worker SIGKILL + restart";
    case Fault::kCoordinatorRestart: return "coordinator SIGKILL + restart";
    case Fault::kPartition: return "worker partition";
    case Fault::kSigstop: return "worker SIGSTOP past the lease";
    case Fault::kFullDisk: return "full disk under a work dir";
  }
  return "?";
}

// Injects the planned faults in a seeded order, paced by the sweep's
// progress (fault k of F once k/(F+1) of the trials finished), and undoes
// each one (restart, heal, thaw, free) after a seeded delay. Also restarts
// any worker daemon found dead, as systemd would. Not thread-safe.
class FaultInjector {
 public:
  FaultInjector(const DriverOptions& o, ChaosCluster* cluster, std::vector<std::string> targets,
                std::string disk_worker)
      : o_(o), cluster_(cluster), targets_(std::move(targets)), disk_worker_(std::move(disk_worker)), rng_(o.seed) {
    auto add = [&](Fault f, int n) { plan_.insert(plan_.end(), std::max(0, n), f); };
    add(Fault::kWorkerKill, o.worker_kills);
    add(Fault::kCoordinatorRestart, o.coordinator_restarts);
    add(Fault::kPartition, o.partitions);
    add(Fault::kSigstop, o.sigstops);
    if (!disk_worker_.empty()) add(Fault::kFullDisk, 1);
    std::shuffle(plan_.begin(), plan_.end(), rng_);
  }

  // One step: undo what is due, restart dead daemons, inject the next fault
  // when the sweep has progressed far enough.
  void Tick(int finished) {
    const auto now = Clock::now();
    for (size_t i = 0; i < undo_.size();) {
      if (undo_[i].at <= now) {
        Undo(undo_[i]);
        undo_.erase(undo_.begin() + static_cast<long>(i));
      } else {
        ++i;
      }
    }
    Supervise();
    if (next_ >= plan_.size() || now < last_fault_ + Ms(100)) return;
    const double due = static_cast<double>(next_ + 1) * o_.trials / static_cast<double>(plan_.size() + 1);
    if (finished >= due && Inject(plan_[next_])) {
      ++next_;
      last_fault_ = now;
    }
  }

  // Undoes every pending fault now (the sweep is over).
  void UndoAll() {
    for (const auto& u : undo_) Undo(u);
    undo_.clear();
  }

  const std::map<Fault, int>& injected() const { return injected_; }
  size_t planned() const { return plan_.size(); }
  int long_outages() const { return long_outages_; }
  int tree_kills() const { return tree_kills_; }
  int unexpected_exits() const { return unexpected_exits_; }
  const std::vector<std::string>& notes() const { return notes_; }
  void Note(const std::string& n) { notes_.push_back(n); }

 private:
  struct Pending {
    Clock::time_point at;
    Fault fault;
    std::string worker;
  };

  // A uniformly drawn duration in [lo, hi] lease TTLs.
  Ms Ttls(double lo, double hi) {
    return Ms(static_cast<int64_t>(std::uniform_real_distribution<double>(lo, hi)(rng_) * o_.lease_ttl.count()));
  }

  // A healthy worker under no other fault; "" when none.
  std::string FreeTarget() {
    std::vector<std::string> free;
    for (const auto& t : targets_) {
      if (!busy_.count(t) && cluster_->WorkerRunning(t)) free.push_back(t);
    }
    if (free.empty()) return "";
    return free[std::uniform_int_distribution<size_t>(0, free.size() - 1)(rng_)];
  }

  bool Inject(Fault f) {
    if (f == Fault::kCoordinatorRestart) {
      if (coordinator_down_) return false;
      cluster_->KillCoordinator();
      coordinator_down_ = true;
      // One in three outages outlasts the lease TTL.
      const bool long_outage = std::uniform_int_distribution<int>(0, 2)(rng_) == 0;
      long_outages_ += long_outage;
      Later(long_outage ? Ttls(1.3, 2.5) : Ttls(0.05, 0.5), f, "");
    } else {
      const std::string w = f == Fault::kFullDisk ? disk_worker_ : FreeTarget();
      if (w.empty() || busy_.count(w)) return false;
      if (!Hit(f, w)) return false;
      busy_.insert(w);
    }
    ++injected_[f];
    return true;
  }

  // Applies a worker fault to `w` and schedules its undo.
  bool Hit(Fault f, const std::string& w) {
    switch (f) {
      case Fault::kWorkerKill: {
        const bool tree = std::uniform_int_distribution<int>(0, 1)(rng_) == 1;
        tree_kills_ += tree;
        cluster_->KillWorker(w, tree);
        Later(Ttls(0.05, 0.75), f, w);
        return true;
      }
      case Fault::kPartition:
        cluster_->Partition(w);
        Later(Ttls(0.5, 3.0), f, w);
        return true;
      case Fault::kSigstop:
        cluster_->Freeze(w);
        Later(Ttls(1.5, 2.5), f, w);
        return true;
      case Fault::kFullDisk:
        if (!cluster_->FillDisk(w)) return false;
        Later(Ttls(2.0, 4.0), f, w);
        return true;
      default:
        return false;
    }
  }

  void Later(Ms delay, Fault f, const std::string& w) { undo_.push_back({Clock::now() + delay, f, w}); }

  void Undo(const Pending& u) {
    switch (u.fault) {
      case Fault::kCoordinatorRestart:
        if (!cluster_->StartCoordinator()) notes_.push_back("the coordinator did not come back (see its log)");
        coordinator_down_ = false;
        break;
      case Fault::kWorkerKill: cluster_->StartWorker(u.worker); break;
      case Fault::kPartition: cluster_->Heal(u.worker); break;
      case Fault::kSigstop: cluster_->Thaw(u.worker); break;
      case Fault::kFullDisk: cluster_->FreeDisk(u.worker); break;
    }
    busy_.erase(u.worker);
  }

  // Restarts worker daemons that ended on their own (not killed by us).
  void Supervise() {
    for (const auto& id : cluster_->worker_ids()) {
      if (busy_.count(id) || cluster_->WorkerRunning(id)) continue;
      auto& last = last_restart_[id];
      if (Clock::now() < last + Ms(1000)) continue;  // a daemon that keeps exiting: once a second
      last = Clock::now();
      ++unexpected_exits_;
      notes_.push_back(fmt::format("worker {} exited on its own ({}); restarted", id, cluster_->WorkerExit(id)));
      cluster_->StartWorker(id);
    }
  }

  const DriverOptions& o_;
  ChaosCluster* cluster_;
  std::vector<std::string> targets_;
  std::string disk_worker_;
  std::mt19937_64 rng_;
  std::vector<Fault> plan_;
  size_t next_ = 0;
  Clock::time_point last_fault_{};
  std::vector<Pending> undo_;
  std::set<std::string> busy_;
  std::map<std::string, Clock::time_point> last_restart_;
  bool coordinator_down_ = false;
  std::map<Fault, int> injected_;
  int long_outages_ = 0, tree_kills_ = 0, unexpected_exits_ = 0;
  std::vector<std::string> notes_;
};

// Everything a run found, for the figures block.
struct RunSummary {
  double wall_s = 0;
  bool timed_out = false;
  int64_t sweep_id = -1;
  int refusals_seen = 0;  // worker log lines about a write refused as "lease gone"
};

// Lines of the worker logs in `dir` that mention a refused stale write (the
// store's "lease gone" answer): shows the fencing was exercised.
int CountLeaseGoneLines(const std::string& dir) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("worker-", 0) != 0) continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) n += line.find("lease gone") != std::string::npos;
  }
  return n;
}

void PrintFigures(const DriverOptions& o, const FaultInjector& faults, const RunSummary& run,
                  const CheckResult& r) {
  std::cout << "---- chaos figures (seed " << o.seed << ") ----\n";
  int total = 0;
  for (const auto& [f, n] : faults.injected()) total += n;
  std::cout << fmt::format("faults injected        {} of {} planned\n", total, faults.planned());
  for (const auto& [f, n] : faults.injected()) std::cout << fmt::format("  {:<32} {}\n", FaultName(f), n);
  std::cout << fmt::format("  {:<32} {} (daemon and trainers)\n", "  of the kills, machine crashes",
                           faults.tree_kills());
  std::cout << fmt::format("  {:<32} {}\n", "  coordinator outages > TTL", faults.long_outages());
  std::cout << fmt::format("  {:<32} {}\n", "black-hole worker", o.black_hole ? 1 : 0);
  std::cout << fmt::format("  {:<32} {}\n", "crash-looping worker", o.crash_loop ? 1 : 0);
  std::cout << fmt::format("quarantine             after {} in a row (coordinator --quarantine-after; default 3); "
                           "bad workers {} slot(s) each; harm bound {} (at most {} allowed)\n",
                           o.quarantine_after, o.bad_worker_slots, o.quarantine_after + o.bad_worker_slots - 1,
                           o.max_harmed);
  std::cout << fmt::format("worker daemons that exited on their own  {}\n", faults.unexpected_exits());
  std::cout << fmt::format("trials                 {}\nsucceeded              {}\n", r.trials, r.succeeded);
  std::cout << fmt::format("lost                   {}\n", r.lost);
  std::cout << fmt::format("duplicates             {} (successes) + {} (metric rows)\n", r.duplicate_successes,
                           r.duplicate_rows);
  std::cout << fmt::format("incomplete histories   {}\n", r.incomplete);
  std::cout << fmt::format("overlaps               {} (trainer trace) + {} (leases in the database)\n", r.trace_overlaps,
                           r.lease_overlaps);
  std::cout << fmt::format("  thawed stale trainer still running, under one epoch  {} (longest {:.1f} ms)\n",
                           r.trace_overlaps_after_thaw, r.longest_after_thaw_ms);
  std::cout << fmt::format("stale writes accepted  {} (worker log lines about a 'lease gone' refusal: {})\n",
                           r.stale_writes, run.refusals_seen);
  std::cout << fmt::format("trainer runs           {} ({} ended by a signal)\n", r.trainer_runs,
                           r.trainer_runs_killed);
  for (const WorkerVerdict& w : r.bad_workers) {
    std::cout << fmt::format("worker {:<16} quarantined: {} ({}); attempts {}; trials harmed {}\n", w.worker_id,
                             w.quarantined ? "yes" : "no", w.how, w.attempts, w.harmed);
  }
  std::cout << fmt::format("quarantine events      {}\n", r.quarantine_events.empty() ? "none" : r.quarantine_events);
  std::cout << fmt::format("integrity_check        {}\n", r.integrity);
  std::cout << fmt::format("wall time              {:.1f} s{}\n", run.wall_s,
                           run.timed_out ? " (duration budget reached)" : "");
  for (const auto& n : faults.notes()) std::cout << "note: " << n << "\n";
  for (const auto& e : r.lost_examples) std::cout << "lost: " << e << "\n";
  for (const auto& e : r.overlap_examples) std::cout << "overlap: " << e << "\n";
  for (size_t i = 0; i < r.stale_examples.size() && i < 8; ++i) std::cout << "stale: " << r.stale_examples[i] << "\n";
  for (const auto& f : r.failures) std::cout << "FAILED: " << f << "\n";
  std::cout << (r.failures.empty() ? "chaos: every check passed\n" : "chaos: some checks failed\n");
}

// Starts the cluster: coordinator, healthy workers w1..wN (the last one on a
// tmpfs when the full-disk fault is on), the black-hole and crash-loop
// workers. The worker whose disk can be filled, or "".
std::string StartCluster(const DriverOptions& o, ChaosCluster* cluster, std::vector<std::string>* targets,
                         std::vector<std::string>* notes) {
  std::string disk_worker;
  for (int i = 1; i <= o.healthy_workers; ++i) {
    const std::string id = fmt::format("w{}", i);
    targets->push_back(id);
    if (i == o.healthy_workers && o.full_disk) {
      bool mounted = false;
      cluster->AddWorker(id, WorkerKind::kHealthy, 2048, &mounted);
      if (mounted) {
        disk_worker = id;
      } else {
        notes->push_back("full disk skipped: cannot mount a tmpfs here (needs root)");
      }
    } else {
      cluster->AddWorker(id, WorkerKind::kHealthy);
    }
  }
  if (o.black_hole) cluster->AddWorker("blackhole", WorkerKind::kBlackHole);
  if (o.crash_loop) cluster->AddWorker("crashloop", WorkerKind::kCrashLoop);
  return disk_worker;
}

// Runs the sweep under faults until every trial finished or the budget is
// spent; then undoes the faults and stops every process.
RunSummary Drive(const DriverOptions& o, ChaosCluster* cluster, FaultInjector* faults, int64_t sweep_id) {
  RunSummary run;
  run.sweep_id = sweep_id;
  const auto start = Clock::now();
  const auto budget = start + std::chrono::seconds(o.duration_budget_s);
  int finished = 0, reported = -1;
  while (finished < o.trials) {
    if (Clock::now() > budget) {
      run.timed_out = true;
      break;
    }
    const int n = FinishedTrials(cluster->db_path(), sweep_id);
    if (n >= 0) finished = n;
    if (finished / 10 != reported / 10) {
      reported = finished;
      std::cerr << fmt::format("chaos: {}/{} trials finished after {:.0f} s\n", finished, o.trials,
                               std::chrono::duration<double>(Clock::now() - start).count());
    }
    faults->Tick(finished);
    std::this_thread::sleep_for(Ms(50));
  }
  run.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  faults->UndoAll();
  cluster->StopAll();
  return run;
}

int RunChaos(DriverOptions o) {
  if (o.full_disk && !EnterPrivateMountNamespace()) {
    o.full_disk = false;
    std::cerr << "chaos: full disk skipped: no private mount namespace here (needs root)\n";
  }
  std::string dir = o.dir;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ltsweep-chaos-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return Usage("cannot make a folder under " + pattern);
    dir = pattern;
  }
  fs::create_directories(dir + "/checkpoints");
  std::cerr << "chaos: folder " << dir << " (logs, database, trace)\n";
  TrainerTrace trace(dir + "/trainers.trace");
  trace.Start();
  ClusterOptions co;
  co.dir = dir;
  co.ltsweep = o.ltsweep;
  co.ltsweep_worker = o.ltsweep_worker;
  co.trainer = o.trainer;
  co.lease_ttl = o.lease_ttl;
  co.heartbeat = Ms(300);
  co.epoch_ms = o.epoch_ms;
  co.slots = 2;
  co.bad_worker_slots = o.bad_worker_slots;
  co.coordinator_args = {"--quarantine-after", std::to_string(o.quarantine_after)};
  co.coordinator_args.insert(co.coordinator_args.end(), o.coordinator_args.begin(), o.coordinator_args.end());
  auto cluster = std::make_unique<ChaosCluster>(co, &trace);
  if (!cluster->StartCoordinator()) return Usage("the coordinator did not start: see " + dir + "/coordinator-*.log");
  std::vector<std::string> targets, notes;
  const std::string disk_worker = StartCluster(o, cluster.get(), &targets, &notes);
  FaultInjector faults(o, cluster.get(), targets, disk_worker);
  for (const auto& n : notes) faults.Note(n);
  const std::string spec = dir + "/chaos.yaml";
  std::ofstream(spec) << SpecYaml(o);
  const int64_t sweep_id = cluster->Submit(spec);
  if (sweep_id < 0) return Usage("ltsweep submit failed: see " + dir + "/submit.log");
  RunSummary run = Drive(o, cluster.get(), &faults, sweep_id);
  run.refusals_seen = CountLeaseGoneLines(dir);
  cluster.reset();  // unmounts the tmpfs
  trace.Stop();
  CheckOptions check;
  check.db_path = dir + "/sweeps.db";
  check.sweep_id = sweep_id;
  check.epochs = o.epochs;
  check.max_harmed = o.max_harmed;
  check.thaw_grace_ms = static_cast<double>(o.epoch_ms);
  if (o.black_hole) check.bad_workers.push_back("blackhole");
  if (o.crash_loop) check.bad_workers.push_back("crashloop");
  if (!disk_worker.empty()) check.may_be_quarantined.push_back(disk_worker);
  auto result = RunChecks(check, trace);
  if (!result.ok()) {
    std::cerr << "chaos: cannot check the database: " << result.status().message() << "\n";
    return 2;
  }
  PrintFigures(o, faults, run, *result);
  const bool passed = result->failures.empty();
  if (passed && !o.keep && o.dir.empty()) fs::remove_all(dir);
  else std::cout << "chaos: logs, database and trace kept in " << dir << "\n";
  return passed ? 0 : 1;
}

}  // namespace
}  // namespace ltsweep::chaos

int main(int argc, char** argv) {
  ltsweep::chaos::DriverOptions options;
  const std::string bad = ltsweep::chaos::ParseFlags(argc, argv, &options);
  if (!bad.empty()) return ltsweep::chaos::Usage(bad);
  return ltsweep::chaos::RunChaos(options);
}
