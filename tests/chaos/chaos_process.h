// Child processes for the chaos harness (tests/chaos): start a program with
// extra environment and its output in a log file, signal it or its whole
// process tree, and wait for it. Linux only (/proc).
//
// Thread-safety: a ChildProcess is used by one thread (the driver's).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ltsweep::chaos {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with the driver's environment plus `env`; stdout
  // and stderr are appended to `log_path`. pid() is -1 when fork failed.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& log_path);
  // SIGKILLs the process (and SIGCONTs it first) unless it was reaped.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits up to `timeout` for the process to end; true once it was reaped.
  bool Wait(std::chrono::milliseconds timeout);
  bool Running();
  // The wait status once reaped (see waitpid), else -1.
  int wait_status() const { return status_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = -1;
};

// Every live descendant of `pid` (children, their children, ...), read from
// /proc; not `pid` itself.
std::vector<pid_t> Descendants(pid_t pid);

// True while `pid` exists and is not a zombie.
bool PidAlive(pid_t pid);

}  // namespace ltsweep::chaos
