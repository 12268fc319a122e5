// ChaosCluster: the real processes of a chaos run and the faults the
// driver injects into them.
//
// One coordinator (`ltsweep coordinator`, a real SQLite file, restarted on
// the same port) and worker daemons (`ltsweep worker` running the fake
// trainer with a shared checkpoint root). Each worker reaches the
// coordinator through its own TcpProxy, so any worker can be partitioned.
// One worker's work dir may sit on a small tmpfs (root only) so its disk can
// be filled.
//
// Ownership: owns every process, proxy and mount it made; the destructor
// kills what still runs and unmounts. Borrows the TrainerTrace (freeze and
// thaw times go to it).
//
// Thread-safety: not thread-safe; called only from the driver's thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/chaos/chaos_process.h"
#include "tests/chaos/tcp_proxy.h"
#include "tests/chaos/trainer_trace.h"

namespace ltsweep::chaos {

using Ms = std::chrono::milliseconds;

struct ClusterOptions {
  std::string dir;            // everything goes here (database, logs, work dirs)
  std::string ltsweep;        // the ltsweep CLI (coordinator, submit)
  std::string ltsweep_worker; // the ltsweep CLI that runs the workers; empty: `ltsweep`
  std::string trainer;        // ltsweep-fake-train
  Ms lease_ttl{2000};
  Ms heartbeat{300};
  int epoch_ms = 50;          // LTSWEEP_FAKE_EPOCH_MS
  int slots = 2;              // per healthy worker
  int bad_worker_slots = 1;   // per black-hole or crash-loop worker
  std::vector<std::string> coordinator_args;  // extra flags (e.g. --quarantine-after 2)
};

// Moves the calling process into a mount namespace of its own whose mounts
// do not propagate back, so a tmpfs mounted afterwards vanishes with the
// driver and its children however the driver ends. Root only; must be
// called before the process starts a thread. False when not allowed.
bool EnterPrivateMountNamespace();

enum class WorkerKind {
  kHealthy,
  kBlackHole,   // every trainer exits 5 ("cannot run here") at once
  kCrashLoop,   // every trainer crashes at once (exit 1)
};

class ChaosCluster {
 public:
  ChaosCluster(ClusterOptions options, TrainerTrace* trace);
  ~ChaosCluster();

  // Starts the coordinator on a free port, or on the previous one again.
  bool StartCoordinator();
  void KillCoordinator();  // SIGKILL, reaped
  bool coordinator_up() { return coordinator_ && coordinator_->Running(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string db_path() const { return options_.dir + "/sweeps.db"; }

  // Adds a worker (and its proxy) and starts it. `tmpfs_kib` > 0 mounts a
  // tmpfs of that size on its work dir first (false in *tmpfs_ok on failure).
  void AddWorker(const std::string& id, WorkerKind kind, int tmpfs_kib = 0, bool* tmpfs_ok = nullptr);
  void StartWorker(const std::string& id);
  // SIGKILLs the daemon; with `tree` its trainers too (a machine crash).
  void KillWorker(const std::string& id, bool tree);
  bool WorkerRunning(const std::string& id);
  // How the worker's last run ended ("exit status 1", "signal 9"), once it did.
  std::string WorkerExit(const std::string& id);
  std::vector<std::string> worker_ids() const;
  void Partition(const std::string& id) { workers_.at(id).proxy->Cut(); }
  void Heal(const std::string& id) { workers_.at(id).proxy->Restore(); }
  // SIGSTOP / SIGCONT of the daemon and its trainers (a frozen machine).
  void Freeze(const std::string& id);
  void Thaw(const std::string& id);
  // Fills / empties the worker's tmpfs work dir.
  bool FillDisk(const std::string& id);
  void FreeDisk(const std::string& id);

  // `ltsweep submit` of a spec file; the sweep id, or -1 (log says why).
  int64_t Submit(const std::string& spec_path);
  // SIGTERM to everything, then SIGKILL what is left after 5 s.
  void StopAll();

 private:
  struct Worker {
    WorkerKind kind = WorkerKind::kHealthy;
    std::unique_ptr<TcpProxy> proxy;
    std::unique_ptr<ChildProcess> process;
    std::vector<pid_t> frozen;
    std::string tmpfs;  // mount point, empty: none
    int starts = 0;
  };

  std::string Log(const std::string& name, int n) const;

  ClusterOptions options_;
  TrainerTrace* trace_;
  int port_ = 0;
  int coordinator_starts_ = 0;
  std::unique_ptr<ChildProcess> coordinator_;
  std::map<std::string, Worker> workers_;
};

}  // namespace ltsweep::chaos
