#include "worker/trainer_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>

#include <fmt/format.h>

#include "worker/output_limits.h"

extern char** environ;

namespace ltsweep::worker {

std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

namespace {

// Close-on-exec pipes, all or none.
Status MakePipes(std::initializer_list<int*> pipes) {
  std::vector<int*> made;
  for (int* p : pipes) {
    if (pipe2(p, O_CLOEXEC) != 0) {
      const int err = errno;
      for (int* m : made) {
        close(m[0]);
        close(m[1]);
      }
      return InternalError(fmt::format("pipe: {}", strerror(err)));
    }
    made.push_back(p);
  }
  return Status::Ok();
}

// execve's errno as the child wrote it to `fd`, or 0 when execve succeeded
// (the pipe closed empty). Closes `fd`.
int ReadExecErrno(int fd) {
  int exec_errno = 0;
  ssize_t got;
  do {
    got = read(fd, &exec_errno, sizeof(exec_errno));
  } while (got < 0 && errno == EINTR);
  close(fd);
  return got == static_cast<ssize_t>(sizeof(exec_errno)) ? exec_errno : 0;
}

}  // namespace

StatusOr<std::unique_ptr<TrainerProcess>> TrainerProcess::Spawn(const SpawnOptions& options) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> argv_s;
  argv_s.push_back(options.path);
  for (const auto& a : options.args) argv_s.push_back(a);
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  // out, err: the child's stdout and stderr; exec: execve's errno when it
  // fails (closed by a successful execve: the parent then reads nothing).
  int out[2], err[2], exec[2];
  LTSWEEP_RETURN_IF_ERROR(MakePipes({out, err, exec}));
  std::unique_ptr<TrainerProcess> p(new TrainerProcess());
  p->tail_bytes_ = options.stderr_tail_bytes;
  p->max_line_bytes_ = options.max_line_bytes;
  if (!options.stderr_log_path.empty()) {
    p->log_fd_ = open(options.stderr_log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    p->log_path_ = options.stderr_log_path;
    p->log_max_bytes_ = options.stderr_log_max_bytes;
    struct stat st {};
    if (p->log_fd_ >= 0 && fstat(p->log_fd_, &st) == 0) p->log_bytes_ = static_cast<uint64_t>(st.st_size);
  }
  p->on_stderr_ = options.on_stderr;
  const pid_t parent = getpid();
  rlimit limit{RLIM_INFINITY, RLIM_INFINITY};
  if (options.memory_limit_bytes > 0) limit.rlim_cur = limit.rlim_max = options.memory_limit_bytes;
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out[0], out[1], err[0], err[1], exec[0], exec[1]}) close(fd);
    return InternalError(fmt::format("fork: {}", strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // A process group of its own: a terminal's SIGINT to the worker's group
    // does not reach the trainer, and the worker signals the whole group.
    setpgid(0, 0);
    // Restore default signal dispositions and mask for the trainer.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (limit.rlim_cur != RLIM_INFINITY) setrlimit(RLIMIT_AS, &limit);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(argv[0], argv.data(), envp.data());
    const int exec_errno = errno;
    ssize_t ignored = write(exec[1], &exec_errno, sizeof(exec_errno));
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so no signal can race the child's own call
  close(out[1]);
  close(err[1]);
  close(exec[1]);
  p->pid_ = pid;
  p->stdout_fd_ = out[0];
  p->stderr_fd_ = err[0];
  const int exec_errno = ReadExecErrno(exec[0]);
  if (exec_errno != 0) {
    p->Wait();  // reaps the child, which exits 127 at once
    return InternalError(fmt::format("cannot execute {}: {}", options.path, strerror(exec_errno)));
  }
  return p;
}

TrainerProcess::~TrainerProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  for (int fd : {stdout_fd_, stderr_fd_, log_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void TrainerProcess::DrainStderr() {
  char buf[4096];
  ssize_t n = read(stderr_fd_, buf, sizeof(buf));
  if (n <= 0) {
    close(stderr_fd_);
    stderr_fd_ = -1;
    return;
  }
  WriteLog(buf, static_cast<size_t>(n));
  if (on_stderr_) on_stderr_(std::string_view(buf, static_cast<size_t>(n)));
  stderr_tail_.append(buf, static_cast<size_t>(n));
  if (stderr_tail_.size() > tail_bytes_) stderr_tail_.erase(0, stderr_tail_.size() - tail_bytes_);
}

void TrainerProcess::WriteLog(const char* data, size_t n) {
  if (log_fd_ < 0) return;
  if (log_max_bytes_ > 0 && log_bytes_ > 0 && log_bytes_ + n > log_max_bytes_) {
    // Keep the last file as <path>.1 and start a new one: the disk holds at
    // most two files' worth, whatever the trainer prints.
    close(log_fd_);
    std::rename(log_path_.c_str(), (log_path_ + ".1").c_str());
    log_fd_ = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    log_bytes_ = 0;
    if (log_fd_ < 0) return;
  }
  ssize_t ignored = write(log_fd_, data, n);
  (void)ignored;
  log_bytes_ += n;
}

std::string TrainerProcess::StderrTail() const {
  // The kept bytes may start inside a character: skip to the next lead byte.
  size_t start = 0;
  while (start < stderr_tail_.size() && start < 3 && (static_cast<unsigned char>(stderr_tail_[start]) & 0xC0) == 0x80) {
    ++start;
  }
  return ToValidUtf8(std::string_view(stderr_tail_).substr(start));
}

std::vector<std::string> TrainerProcess::TakeNotes() {
  std::vector<std::string> notes;
  notes.swap(notes_);
  return notes;
}

void TrainerProcess::TakeStdout(const char* data, size_t n, std::vector<std::string>& lines) {
  size_t i = 0;
  while (i < n) {
    const char* nl = static_cast<const char*>(memchr(data + i, '\n', n - i));
    const size_t end = nl ? static_cast<size_t>(nl - data) : n;
    if (!discarding_line_) stdout_partial_.append(data + i, end - i);
    if (!discarding_line_ && stdout_partial_.size() > max_line_bytes_) {
      notes_.push_back(fmt::format("dropped a stdout line longer than {} bytes: {}", max_line_bytes_,
                                   EscapeForLog(stdout_partial_)));
      stdout_partial_.clear();
      stdout_partial_.shrink_to_fit();
      discarding_line_ = true;
    }
    if (!nl) break;
    if (!discarding_line_ && !stdout_partial_.empty()) lines.push_back(std::move(stdout_partial_));
    stdout_partial_.clear();
    discarding_line_ = false;
    i = end + 1;
  }
}

std::vector<std::string> TrainerProcess::ReadLines(int timeout_ms, bool* stdout_closed) {
  std::vector<std::string> lines;
  *stdout_closed = stdout_fd_ < 0;
  pollfd fds[2];
  int n = 0;
  if (stdout_fd_ >= 0) fds[n++] = {stdout_fd_, POLLIN, 0};
  if (stderr_fd_ >= 0) fds[n++] = {stderr_fd_, POLLIN, 0};
  if (n == 0) return lines;
  int r = poll(fds, static_cast<nfds_t>(n), timeout_ms);
  if (r <= 0) return lines;
  for (int i = 0; i < n; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    if (fds[i].fd == stderr_fd_) {
      DrainStderr();
      continue;
    }
    char buf[65536];
    ssize_t got = read(stdout_fd_, buf, sizeof(buf));
    if (got <= 0) {
      close(stdout_fd_);
      stdout_fd_ = -1;
      *stdout_closed = true;
      if (!stdout_partial_.empty() && !discarding_line_) lines.push_back(std::move(stdout_partial_));
      stdout_partial_.clear();
      continue;
    }
    TakeStdout(buf, static_cast<size_t>(got), lines);
  }
  return lines;
}

void TrainerProcess::Signal(int sig) {
  // Held while signalling and while reaping: a pid is never signalled after
  // it was reaped (and could have been reused).
  std::lock_guard<std::mutex> lock(reap_mu_);
  pid_t pid = pid_;
  if (reaped_ || pid <= 0) return;
  // The child leads its group (pgid == pid); the direct kill covers the
  // instant before its setpgid and a child that left the group.
  kill(-pid, sig);
  kill(pid, sig);
}

bool TrainerProcess::HasExited() {
  std::lock_guard<std::mutex> lock(reap_mu_);
  if (reaped_) return true;
  siginfo_t exited{};
  return waitid(P_PID, static_cast<id_t>(pid_), &exited, WEXITED | WNOHANG | WNOWAIT) == 0 && exited.si_pid == pid_;
}

std::optional<contract::TrainerExit> TrainerProcess::TryWait() {
  if (exit_) return exit_;
  // Has it exited? Ask without reaping, so that the group id stays ours
  // while the leftovers of the group are killed.
  siginfo_t exited{};
  if (waitid(P_PID, static_cast<id_t>(pid_), &exited, WEXITED | WNOHANG | WNOWAIT) != 0 || exited.si_pid != pid_) {
    return std::nullopt;
  }
  std::unique_lock<std::mutex> lock(reap_mu_);
  kill(-pid_, SIGKILL);
  int status = 0;
  pid_t r = waitpid(pid_, &status, 0);
  if (r != pid_) return std::nullopt;
  contract::TrainerExit info;
  if (WIFSIGNALED(status)) {
    info.signaled = true;
    info.signal = WTERMSIG(status);
  } else {
    info.code = WEXITSTATUS(status);
  }
  reaped_ = true;
  lock.unlock();
  exit_ = info;
  // Whatever is left on stderr belongs to the tail.
  while (stderr_fd_ >= 0) {
    pollfd fd{stderr_fd_, POLLIN, 0};
    if (poll(&fd, 1, 0) <= 0) break;
    DrainStderr();
  }
  return exit_;
}

contract::TrainerExit TrainerProcess::Wait() {
  while (true) {
    if (auto e = TryWait()) return *e;
    bool closed;
    ReadLines(20, &closed);
  }
}

}  // namespace ltsweep::worker
