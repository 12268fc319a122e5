// Test helpers for integration_test: real coordinator and worker processes
// (ltsweep-daemons) on loopback, a client stub, and polling helpers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "proto/client_service.grpc.pb.h"
#include "proto/worker_service.grpc.pb.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {

// A child process with stdout and stderr in a log file. SIGKILLed and reaped
// when the object dies, unless it already ended.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits up to `timeout` for the process to end; returns its wait status or
  // -1 when it is still running.
  int Wait(std::chrono::milliseconds timeout);
  bool running();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string log_path_;
};

// True when a process with this pid exists (and is not a zombie we can see).
bool ProcessAlive(pid_t pid);

// Polls `done` every 50 ms for up to `timeout`.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

struct WorkerSpec {
  std::string id;
  int slots = 2;
  std::map<std::string, std::string> env;  // e.g. LTSWEEP_FAKE_EPOCH_MS
  std::vector<std::string> extra_args;
};

class Cluster {
 public:
  explicit Cluster(const TempDir& dir);
  ~Cluster();

  // Starts the coordinator (on the previous port when restarting) with
  // --lease-ttl `lease_ttl` and `extra_args`.
  void StartCoordinator(const std::string& lease_ttl = "2s", const std::vector<std::string>& extra_args = {});
  void KillCoordinator();  // SIGKILL
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string db_path() const;

  Process& StartWorker(const WorkerSpec& spec);
  Process& worker(const std::string& id) { return *workers_.at(id); }
  std::string WorkerLog(const std::string& id) { return workers_.at(id)->log(); }
  // Every coordinator run's log, oldest first.
  std::string CoordinatorLog() const;

  v1::ClientService::Stub& client() { return *client_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

  int64_t Submit(const std::string& yaml);
  v1::SweepInfo Sweep(int64_t sweep_id);
  std::vector<v1::TrialInfo> Trials(int64_t sweep_id);
  v1::QueryMetricsResponse Metrics(int64_t trial_id, int attempt = 0);
  bool WaitFinished(int64_t sweep_id, std::chrono::milliseconds timeout);

 private:
  const TempDir& dir_;
  int port_ = 0;
  int coordinator_starts_ = 0;
  std::unique_ptr<Process> coordinator_;
  std::map<std::string, std::unique_ptr<Process>> workers_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ClientService::Stub> client_;
};

}  // namespace ltsweep::testing
