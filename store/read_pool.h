// ReadPool: the store's read connections. Every read query (status,
// results, ListTrials pages, metrics, event polls of WatchSweep) runs on a
// connection of its own in a read transaction: in WAL mode a reader sees
// the last commit before it began and never waits for the writer, so a
// long write (a chunk of a big submit, a group of leases) does not hold up
// `status`, and a long read (a page of 1,000 trial histories) does not hold
// up leases.
//
// Connections are opened read-only on first need and kept (up to
// `max_idle`) for the next read, with their prepared statements.
//
// Internal to store/. Ownership: owns its connections; a Conn borrows one
// and hands it back when destroyed. Thread-safety: thread-safe; each Conn is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace ltsweep::sqlite {

struct ReadPoolOptions {
  int max_idle = 4;                // connections kept open between reads
  int busy_timeout_ms = 5000;
  int cache_size_kib = 16 * 1024;  // PRAGMA cache_size per connection
  int64_t mmap_size_bytes = int64_t{256} << 20;
};

class ReadPool {
 public:
  ReadPool(std::string path, ReadPoolOptions options) : path_(std::move(path)), options_(options) {}
  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;

  // One connection, for one thread, until destroyed.
  class Conn {
   public:
    Conn(ReadPool* pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
    Conn(Conn&& other) noexcept = default;
    Conn& operator=(Conn&&) = delete;
    ~Conn();
    Db* get() { return db_.get(); }

   private:
    ReadPool* pool_;
    std::unique_ptr<Db> db_;
  };

  // An idle connection, or a new one (UNAVAILABLE / DATA_LOSS as
  // Db::Open says when the file cannot be opened).
  StatusOr<Conn> Get();

  // Connections opened since the pool was made (for tests and stats).
  int64_t opened() const;

 private:
  void Return(std::unique_ptr<Db> db);

  const std::string path_;
  const ReadPoolOptions options_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Db>> idle_;  // GUARDED_BY(mu_)
  int64_t opened_ = 0;                     // GUARDED_BY(mu_)
};

}  // namespace ltsweep::sqlite
