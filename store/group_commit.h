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
// RunAsync() queues an operation without waiting for it (flat combining):
// when a group is already running, the caller returns at once and the
// leader runs the operation in a later group; when none is, the caller leads
// itself. A leader keeps leading while asynchronous operations are queued.
// After a group commits, each asynchronous operation's `done` runs with the
// connection's mutex released: on a reply thread when more operations wait
// (so the leader starts the next group at once), else on the leader itself.
// So a server thread that receives a request never sleeps waiting for the
// database, and there is at most one thread hand-off per group, not per
// request.
//
// An operation runs on the leader's thread, with the connection's mutex
// held; it must not call Run() or RunAsync() itself.
//
// Ownership: borrows the Db and its mutex (both outlive the GroupCommit).
// Thread-safety: Run(), RunAsync() and stats() are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace ltsweep::sqlite {

// Group sizes are counted in buckets: groups of at most 1, 2, 4, .. 64
// operations, then more than 64 (kGroupSizeBuckets in all; not cumulative).
inline constexpr int kGroupSizeBuckets = 8;
// The bucket of a group of `size` operations.
int GroupSizeBucket(size_t size);

// Counters since the GroupCommit was made.
struct GroupCommitStats {
  int64_t transactions = 0;  // write transactions opened (groups)
  int64_t operations = 0;    // operations run in them
  int64_t largest_group = 0;
  int64_t busy_micros = 0;  // wall time spent running groups (connection busy)
  int64_t queued = 0;       // operations waiting or running right now
  int64_t group_sizes[kGroupSizeBuckets] = {};  // groups by size (see GroupSizeBucket)
};

class GroupCommit {
 public:
  // `max_group` >= 1: the most operations in one transaction (1: no
  // grouping, one transaction per operation).
  GroupCommit(Db* db, std::mutex* db_mu, int max_group);
  // Waits for the replies still being sent (see RunAsync).
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Runs `op` inside a write transaction, possibly shared with operations
  // of other threads, and returns its result (or the commit's error).
  // FAILED_PRECONDITION at once for a read-only database.
  Status Run(const std::function<Status()>& op);

  // Runs `op` like Run() but returns without waiting for it (see above);
  // `done` receives the same result Run() would return, on the thread that
  // led the group (possibly this one, before RunAsync returns) or on the
  // reply thread. `done` runs outside the connection's mutex and may call
  // Run() or RunAsync().
  void RunAsync(std::function<Status()> op, std::function<void(Status)> done);

  GroupCommitStats stats() const;

 private:
  struct Writer {
    const std::function<Status()>* op = nullptr;
    Status status;
    bool done = false;
    std::condition_variable cv;
    // Asynchronous writers only: they own their operation and are deleted
    // by the leader once `on_done` has run.
    bool async = false;
    std::function<Status()> owned_op;
    std::function<void(Status)> on_done;
  };

  // Leads groups while this thread is at the front of the queue; returns
  // once the front is a synchronous writer (woken to lead) or the queue is
  // empty. `lock` holds queue_mu_ on entry and on return.
  void Lead(std::unique_lock<std::mutex>& lock);
  // Runs `group` in one transaction; called by the leader with *db_mu_ held.
  void RunGroup(const std::vector<Writer*>& group);
  Status CheckWritable() const;
  // Hands finished asynchronous writers to the reply thread (started on
  // first use), so the leader can start the next group at once.
  void QueueReplies(const std::vector<Writer*>& writers);
  void ReplyLoop();
  static void Reply(Writer* w);

  Db* db_;
  std::mutex* db_mu_;
  const size_t max_group_;

  mutable std::mutex queue_mu_;
  std::deque<Writer*> queue_;  // GUARDED_BY(queue_mu_); the front is the leader
  GroupCommitStats stats_;     // GUARDED_BY(queue_mu_), except `queued`

  std::mutex reply_mu_;
  std::condition_variable reply_cv_;
  std::deque<Writer*> replies_;  // GUARDED_BY(reply_mu_)
  bool stop_replies_ = false;    // GUARDED_BY(reply_mu_)
  std::thread reply_thread_;     // started by the first QueueReplies
};

}  // namespace ltsweep::sqlite
