// DbLock: one coordinator per results database.
//
// The coordinator holds an exclusive flock(2) on "<db>.lock", a file beside
// the database holding "<pid> <host>" of the holder, for as long as it
// runs. A second coordinator started on the same database (by hand, by a
// restarting unit while the old one lingers) is refused with the holder's
// pid and host instead of sharing the queue. The lock goes away with the
// process however it ends (the kernel drops it), so a stale file left by a
// killed coordinator never blocks the next one; the file itself is kept.
// flock works on local file systems; on NFS it depends on the server.
//
// Ownership: the DbLock owns the open descriptor; destroying it releases
// the lock. Thread-safety: not thread-safe (acquire and drop from one thread).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace ltsweep::coordinator {

class DbLock {
 public:
  // Locks "<db_path>.lock" (created when absent) and writes "<pid> <host>"
  // into it. FAILED_PRECONDITION naming the lock file and its holder when it
  // is held (also by another DbLock of this process); UNAVAILABLE when the
  // file cannot be created.
  static StatusOr<std::unique_ptr<DbLock>> Acquire(const std::string& db_path);

  ~DbLock();
  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  DbLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace ltsweep::coordinator
