// WalCheckpointer: copies the write-ahead log back into the database file on
// a thread of its own, so that no write waits for a checkpoint.
//
// SQLite's automatic checkpoint runs inside the COMMIT that pushes the log
// past its threshold: that commit -- and, with group commit, every request
// queued behind it -- waits while thousands of pages are copied and the file
// is synced (tens of milliseconds; the lease latency tail of the
// coordinator). Instead, the writer's connection gets automatic checkpoints
// off and a WAL hook that wakes this thread when the log passes
// `threshold_pages`; the thread runs a PASSIVE checkpoint on a connection of
// its own, which never blocks the writer or readers. When a checkpoint has
// copied the whole log, SQLite starts writing the log from its beginning
// again at the next write, so the file stays about threshold_pages long.
// Durability is unchanged: committed transactions are in the log either way.
//
// Internal to store/. Ownership: borrows the writer's Db, which must outlive
// the checkpointer. Thread-safety: checkpoints() is thread-safe; construction
// and destruction must not race a commit on the writer's connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace ltsweep::sqlite {

class WalCheckpointer {
 public:
  // Opens the second connection and installs the hook on `writer` (a
  // read-write connection in WAL mode).
  static StatusOr<std::unique_ptr<WalCheckpointer>> Start(Db* writer, int threshold_pages,
                                                          int busy_timeout_ms);
  // Removes the hook and stops the thread (the last checkpoint is SQLite's,
  // when the writer's connection closes).
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints run so far.
  int64_t checkpoints() const { return checkpoints_.load(); }

 private:
  WalCheckpointer(Db* writer, std::unique_ptr<Db> own, int threshold_pages);
  static int OnCommit(void* self, struct sqlite3* db, const char* name, int pages);
  void Loop();

  Db* writer_;
  std::unique_ptr<Db> own_;  // used only by the thread
  const int threshold_pages_;
  std::atomic<int64_t> checkpoints_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool pending_ = false;  // GUARDED_BY(mu_)
  bool stop_ = false;     // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace ltsweep::sqlite
