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
#include <cstdlib>
#include <cstring>
#include <map>

#include <fmt/format.h>

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

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return InternalError(fmt::format("pipe: {}", strerror(errno)));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return InternalError(fmt::format("pipe: {}", strerror(errno)));
  }
  std::unique_ptr<TrainerProcess> p(new TrainerProcess());
  p->tail_bytes_ = options.stderr_tail_bytes;
  if (!options.stderr_log_path.empty()) {
    p->log_fd_ = open(options.stderr_log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  const pid_t parent = getpid();
  rlimit limit{RLIM_INFINITY, RLIM_INFINITY};
  if (options.memory_limit_bytes > 0) limit.rlim_cur = limit.rlim_max = options.memory_limit_bytes;
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out[0], out[1], err[0], err[1]}) close(fd);
    return InternalError(fmt::format("fork: {}", strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
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
    const char msg[] = "ltsweep worker: cannot execute the trainer\n";
    ssize_t ignored = write(2, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  p->pid_ = pid;
  p->stdout_fd_ = out[0];
  p->stderr_fd_ = err[0];
  return p;
}

TrainerProcess::~TrainerProcess() {
  if (!reaped_ && pid_ > 0) {
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
  if (log_fd_ >= 0) {
    ssize_t ignored = write(log_fd_, buf, static_cast<size_t>(n));
    (void)ignored;
  }
  stderr_tail_.append(buf, static_cast<size_t>(n));
  if (stderr_tail_.size() > tail_bytes_) stderr_tail_.erase(0, stderr_tail_.size() - tail_bytes_);
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
      if (!stdout_partial_.empty()) lines.push_back(std::move(stdout_partial_));
      stdout_partial_.clear();
      continue;
    }
    stdout_partial_.append(buf, static_cast<size_t>(got));
    size_t pos;
    while ((pos = stdout_partial_.find('\n')) != std::string::npos) {
      std::string line = stdout_partial_.substr(0, pos);
      stdout_partial_.erase(0, pos + 1);
      if (!line.empty()) lines.push_back(std::move(line));
    }
  }
  return lines;
}

void TrainerProcess::Signal(int sig) {
  pid_t pid = pid_;
  if (!reaped_ && pid > 0) kill(pid, sig);
}

std::optional<contract::TrainerExit> TrainerProcess::TryWait() {
  if (exit_) return exit_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return std::nullopt;
  contract::TrainerExit info;
  if (WIFSIGNALED(status)) {
    info.signaled = true;
    info.signal = WTERMSIG(status);
  } else {
    info.code = WEXITSTATUS(status);
  }
  reaped_ = true;
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
