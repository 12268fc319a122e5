// GroupCommit: a writer queue that runs concurrent write operations on one
// SQLite connection in shared transactions (group commit, as in leveldb's
// DBImpl::Write).
//
// Each caller of Run() queues its operation and waits. The caller at the
// front of the queue becomes the leader: it takes the connection's mutex,
// opens one write transaction (BEGIN IMMEDIATE), runs up to max_group queued
// operations in order -- each inside its own SAVEPOINT, so an operation that
// fails is rolled back alone and the others of the group still commit --
// commits once, and hands every operation its own result. A commit that
// fails (or a before_commit hook that refuses) fails every operation of the
// group that had succeeded, and nothing of the group is written. Operations
// see the writes of the operations before them in the same group, so the
// results are the same as running them one after the other; only the number
// of transactions (and of WAL appends) changes.
//
// An operation runs on the leader's thread, with the connection's mutex
// held; it must not call Run() itself.
//
// Ownership: borrows the Db and its mutex (both outlive the GroupCommit).
// Thread-safety: Run() and stats() are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace ltsweep::sqlite {

// Counters since the GroupCommit was made.
struct GroupCommitStats {
  int64_t transactions = 0;  // write transactions opened (groups)
  int64_t operations = 0;    // operations run in them
  int64_t largest_group = 0;
  int64_t busy_micros = 0;  // wall time spent running groups (connection busy)
  int64_t queued = 0;       // operations waiting or running right now
};

class GroupCommit {
 public:
  // `max_group` >= 1: the most operations in one transaction (1: no
  // grouping, one transaction per operation).
  GroupCommit(Db* db, std::mutex* db_mu, int max_group);
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Runs `op` inside a write transaction, possibly shared with operations
  // of other threads, and returns its result (or the commit's error).
  // FAILED_PRECONDITION at once for a read-only database.
  Status Run(const std::function<Status()>& op);

  GroupCommitStats stats() const;

 private:
  struct Writer {
    const std::function<Status()>* op = nullptr;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };

  // Runs `group` in one transaction; called by the leader with *db_mu_ held.
  void RunGroup(const std::vector<Writer*>& group);

  Db* db_;
  std::mutex* db_mu_;
  const size_t max_group_;

  mutable std::mutex queue_mu_;
  std::deque<Writer*> queue_;  // GUARDED_BY(queue_mu_); the front is the leader
  GroupCommitStats stats_;     // GUARDED_BY(queue_mu_), except `queued`
};

}  // namespace ltsweep::sqlite
