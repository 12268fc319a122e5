// TrainerProcess: one running trainer (ltsweep-train or anything obeying its
// contract) as a child process of the worker.
//
// Spawned with fork/exec; stdout (JSON lines) and stderr come back through
// pipes. The child gets PR_SET_PDEATHSIG(SIGKILL), so a worker killed with
// SIGKILL never leaves an orphan trainer holding a GPU. Stderr is kept as a
// bounded tail (the error text of a failed attempt) and copied to a log file.
//
// Ownership: the object owns the child; destroying it SIGKILLs and reaps a
// child still running. Thread-safety: not thread-safe; used by one slot
// thread, except Signal(), which may be called from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/trainer_contract.h"

namespace ltsweep::worker {

struct SpawnOptions {
  std::string path;                   // executable (absolute, or relative to cwd)
  std::vector<std::string> args;      // argv[1..]
  // Set (or, with an empty value and unset=true, removed) on top of the
  // worker's own environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::string stderr_log_path;        // empty: stderr is only kept as a tail
  size_t stderr_tail_bytes = 4096;
  // RLIMIT_AS (address space) of the child, set before exec. 0: none.
  uint64_t memory_limit_bytes = 0;
};

class TrainerProcess {
 public:
  static StatusOr<std::unique_ptr<TrainerProcess>> Spawn(const SpawnOptions& options);
  ~TrainerProcess();
  TrainerProcess(const TrainerProcess&) = delete;
  TrainerProcess& operator=(const TrainerProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits up to timeout_ms for output and returns the complete stdout lines
  // read. Sets *stdout_closed once the child closed its stdout (it exited).
  std::vector<std::string> ReadLines(int timeout_ms, bool* stdout_closed);

  // Sends `sig` to the child if it has not been reaped yet.
  void Signal(int sig);

  // Reaps the child without blocking; nullopt while it runs. Only signaled,
  // code and signal are set: what the worker saw on stdout and whether it
  // asked the trainer to stop are for the caller to fill in.
  std::optional<contract::TrainerExit> TryWait();
  // Blocks until the child exits (reading and discarding nothing: call
  // ReadLines until stdout closes first to keep its output).
  contract::TrainerExit Wait();

  // The last stderr_tail_bytes of the child's stderr.
  std::string StderrTail() const { return stderr_tail_; }

 private:
  TrainerProcess() = default;
  void DrainStderr();

  std::atomic<pid_t> pid_{-1};
  std::atomic<bool> reaped_{false};
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int log_fd_ = -1;
  size_t tail_bytes_ = 4096;
  std::string stdout_partial_;
  std::string stderr_tail_;
  std::optional<contract::TrainerExit> exit_;
};

// The `name` on $PATH, or `name` itself when it contains a slash; empty when
// not found.
std::string FindExecutable(const std::string& name);

}  // namespace ltsweep::worker
