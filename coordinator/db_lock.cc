#include "coordinator/db_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ltsweep::coordinator {

namespace {

std::string HostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) return "unknown-host";
  return host;
}

// "pid 123 on host h" from the lock file's text, or a placeholder.
std::string Holder(int fd) {
  char buf[512] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  std::string text = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const size_t space = text.find(' ');
  if (text.empty() || space == std::string::npos) return "a process that has not written its pid yet";
  return fmt::format("pid {} on host {}", text.substr(0, space), text.substr(space + 1));
}

}  // namespace

StatusOr<std::unique_ptr<DbLock>> DbLock::Acquire(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return UnavailableError(fmt::format("--db: cannot create the lock file {}: {}", path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder = Holder(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return FailedPreconditionError(
          fmt::format("--db: {} is in use by another coordinator ({}; lock file {}); one coordinator per "
                      "database: stop that one first, or give this one another --db",
                      db_path, holder, path));
    }
    return UnavailableError(fmt::format("--db: cannot lock {}: {}", path, std::strerror(err)));
  }
  const std::string text = fmt::format("{} {}\n", ::getpid(), HostName());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const int err = errno;
    ::close(fd);
    return UnavailableError(fmt::format("--db: cannot write the lock file {}: {}", path, std::strerror(err)));
  }
  return std::unique_ptr<DbLock>(new DbLock(fd, path));
}

DbLock::~DbLock() {
  if (fd_ >= 0) ::close(fd_);  // drops the flock
}

}  // namespace ltsweep::coordinator
