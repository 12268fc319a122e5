// TrainerProcess: one running trainer (ltsweep-train or anything obeying its
// contract) as a child process of the worker.
//
// Spawned with fork/exec; stdout (JSON lines) and stderr come back through
// pipes. The child gets PR_SET_PDEATHSIG(SIGKILL), so a worker killed with
// SIGKILL never leaves an orphan trainer holding a GPU. Stderr is kept as a
// bounded tail (the error text of a failed attempt) and copied to a log file.
//
// Process group: the child leads a process group of its own (setpgid), so a
// terminal's Ctrl-C (SIGINT to the foreground group) reaches the worker, not
// its trainers, and every signal the worker sends goes to the whole group:
// helper processes the trainer forked are stopped with it. When the trainer
// itself has exited, whatever is left of its group is SIGKILLed before the
// trainer is reaped (so the group id cannot have been reused).
//
// Output limits (worker/output_limits.h): a stdout line longer than
// max_line_bytes is dropped, and a note naming its first bytes is kept for
// TakeNotes(); the stderr tail is valid UTF-8.
//
// Ownership: the object owns the child; destroying it SIGKILLs its group and
// reaps a child still running. Thread-safety: not thread-safe; used by one
// slot thread, except Signal(), which may be called from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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
  // The log file is bounded: once it would pass this many bytes it is
  // renamed to <path>.1 (replacing the one before) and started again, so
  // the last stderr_log_max_bytes (at least) stay on disk. 0: unbounded.
  uint64_t stderr_log_max_bytes = 0;
  // Receives every stderr read as it comes (worker/attempt_log.h), on the
  // thread that reads the output. Empty: none.
  std::function<void(std::string_view)> on_stderr;
  size_t stderr_tail_bytes = 4096;
  // A longer stdout line (without its newline) is dropped.
  size_t max_line_bytes = 1 << 20;
  // RLIMIT_AS (address space) of the child, set before exec. 0: none.
  uint64_t memory_limit_bytes = 0;
};

class TrainerProcess {
 public:
  // Starts the child. An error when it cannot be started: pipes, fork, or
  // execve (the child reports execve's errno through a close-on-exec pipe,
  // so "no such interpreter" is an error here, not an exit status 127).
  static StatusOr<std::unique_ptr<TrainerProcess>> Spawn(const SpawnOptions& options);
  ~TrainerProcess();
  TrainerProcess(const TrainerProcess&) = delete;
  TrainerProcess& operator=(const TrainerProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits up to timeout_ms for output and returns the complete stdout lines
  // read. Sets *stdout_closed once the child closed its stdout (it exited).
  std::vector<std::string> ReadLines(int timeout_ms, bool* stdout_closed);

  // Sends `sig` to the child's whole process group if the child has not been
  // reaped yet.
  void Signal(int sig);

  // Whether the child has exited (reaped or not), without reaping it. May be
  // called from any thread.
  bool HasExited();

  // Reaps the child without blocking; nullopt while it runs. Once the child
  // has exited, the rest of its process group is SIGKILLed first. Only
  // signaled, code and signal are set: what the worker saw on stdout and
  // whether it asked the trainer to stop are for the caller to fill in.
  std::optional<contract::TrainerExit> TryWait();
  // Blocks until the child exits (reading and discarding nothing: call
  // ReadLines until stdout closes first to keep its output).
  contract::TrainerExit Wait();

  // The last stderr_tail_bytes (at most) of the child's stderr, from a
  // character boundary on, as valid UTF-8 (invalid bytes become U+FFFD).
  std::string StderrTail() const;

  // Notes about dropped stdout lines since the last call ("dropped a stdout
  // line longer than N bytes: <first 80 bytes, escaped>"), one per line.
  std::vector<std::string> TakeNotes();

 private:
  TrainerProcess() = default;
  void DrainStderr();
  // Copies stderr bytes to the log file, starting a new file past the bound.
  void WriteLog(const char* data, size_t n);
  // Appends stdout bytes, moving complete lines to `lines` and dropping
  // over-long ones.
  void TakeStdout(const char* data, size_t n, std::vector<std::string>& lines);

  std::atomic<pid_t> pid_{-1};
  std::mutex reap_mu_;  // Signal() against reaping
  std::atomic<bool> reaped_{false};
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int log_fd_ = -1;
  std::string log_path_;
  uint64_t log_max_bytes_ = 0;
  uint64_t log_bytes_ = 0;  // in the current log file
  std::function<void(std::string_view)> on_stderr_;
  size_t tail_bytes_ = 4096;
  size_t max_line_bytes_ = 1 << 20;
  bool discarding_line_ = false;  // inside an over-long line: drop until its newline
  std::vector<std::string> notes_;
  std::string stdout_partial_;
  std::string stderr_tail_;
  std::optional<contract::TrainerExit> exit_;
};

// The `name` on $PATH, or `name` itself when it contains a slash; empty when
// not found.
std::string FindExecutable(const std::string& name);

}  // namespace ltsweep::worker
