#include "store/group_commit.h"

#include <exception>
#include <string>

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>

namespace ltsweep::sqlite {

GroupCommit::GroupCommit(Db* db, std::mutex* db_mu, int max_group)
    : db_(db), db_mu_(db_mu), max_group_(static_cast<size_t>(std::max(1, max_group))) {}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard<std::mutex> lock(reply_mu_);
    stop_replies_ = true;
  }
  reply_cv_.notify_one();
  if (reply_thread_.joinable()) reply_thread_.join();
}

void GroupCommit::Reply(Writer* w) {
  try {
    w->on_done(w->status);
  } catch (...) {
    // A reply that throws must not stop the others.
  }
  delete w;
}

void GroupCommit::QueueReplies(const std::vector<Writer*>& writers) {
  {
    std::lock_guard<std::mutex> lock(reply_mu_);
    replies_.insert(replies_.end(), writers.begin(), writers.end());
    if (!reply_thread_.joinable()) reply_thread_ = std::thread([this] { ReplyLoop(); });
  }
  reply_cv_.notify_one();
}

void GroupCommit::ReplyLoop() {
  pthread_setname_np(pthread_self(), "store-replies");  // for top -H, perf, gdb
  std::unique_lock<std::mutex> lock(reply_mu_);
  for (;;) {
    reply_cv_.wait(lock, [this] { return stop_replies_ || !replies_.empty(); });
    if (replies_.empty()) return;  // stopping, and every reply sent
    std::deque<Writer*> batch;
    batch.swap(replies_);
    lock.unlock();
    for (Writer* w : batch) Reply(w);
    lock.lock();
  }
}

int GroupSizeBucket(size_t size) {
  int bucket = 0;
  while (bucket < kGroupSizeBuckets - 1 && (size_t{1} << bucket) < size) ++bucket;
  return bucket;
}

GroupCommitStats GroupCommit::stats() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  GroupCommitStats stats = stats_;
  stats.queued = static_cast<int64_t>(queue_.size());
  return stats;
}

Status GroupCommit::CheckWritable() const {
  if (db_->read_only()) {
    return FailedPreconditionError("results database " + db_->path() +
                                   " is open read-only; writes are refused");
  }
  return Status::Ok();
}

Status GroupCommit::Run(const std::function<Status()>& op) {
  LTSWEEP_RETURN_IF_ERROR(CheckWritable());
  Writer self;
  self.op = &op;
  std::unique_lock<std::mutex> lock(queue_mu_);
  queue_.push_back(&self);
  self.cv.wait(lock, [&] { return self.done || queue_.front() == &self; });
  if (!self.done) Lead(lock);  // runs this writer in the first group
  return self.status;
}

void GroupCommit::RunAsync(std::function<Status()> op, std::function<void(Status)> done) {
  Status writable = CheckWritable();
  if (!writable.ok()) {
    done(writable);
    return;
  }
  auto* self = new Writer;
  self->async = true;
  self->owned_op = std::move(op);
  self->op = &self->owned_op;
  self->on_done = std::move(done);
  std::unique_lock<std::mutex> lock(queue_mu_);
  queue_.push_back(self);
  // A non-empty queue has a leader (running a group, or a synchronous writer
  // woken to lead): it will run this one.
  if (queue_.front() == self) Lead(lock);
}

void GroupCommit::Lead(std::unique_lock<std::mutex>& lock) {
  std::vector<Writer*> group;
  std::vector<Writer*> finished_async;
  for (;;) {
    // Take the front of the queue (this thread's writer first, on the first
    // round).
    group.clear();
    for (Writer* w : queue_) {
      group.push_back(w);
      if (group.size() >= max_group_) break;
    }
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> db_lock(*db_mu_);
      RunGroup(group);
    }
    const auto busy = std::chrono::steady_clock::now() - start;
    lock.lock();
    stats_.busy_micros += std::chrono::duration_cast<std::chrono::microseconds>(busy).count();
    ++stats_.transactions;
    stats_.operations += static_cast<int64_t>(group.size());
    stats_.largest_group = std::max(stats_.largest_group, static_cast<int64_t>(group.size()));
    ++stats_.group_sizes[GroupSizeBucket(group.size())];
    finished_async.clear();
    for (size_t i = 0; i < group.size(); ++i) {
      Writer* w = queue_.front();  // == group[i]: only leaders pop, one at a time
      queue_.pop_front();
      if (w->async) {
        finished_async.push_back(w);
      } else {
        w->done = true;
        w->cv.notify_one();  // `w` may be gone once queue_mu_ is released
      }
    }
    // Keep leading while the next writer is asynchronous (nobody waits to
    // lead it); a synchronous one leads its own group.
    const bool lead_again = !queue_.empty() && queue_.front()->async;
    if (!queue_.empty() && !lead_again) queue_.front()->cv.notify_one();
    if (!finished_async.empty()) {
      if (lead_again) {
        // Writers are waiting: the reply thread sends these replies while
        // this thread runs the next group.
        lock.unlock();
        QueueReplies(finished_async);
        lock.lock();
      } else {
        // Nobody waits: reply from here, without any lock held (writers that
        // arrive meanwhile lead themselves, or are led by the writer woken).
        lock.unlock();
        for (Writer* w : finished_async) Reply(w);
        lock.lock();
      }
    }
    if (!lead_again) return;
  }
}

void GroupCommit::RunGroup(const std::vector<Writer*>& group) {
  auto fail_all = [&group](const Status& error) {
    for (Writer* w : group) {
      if (w->status.ok()) w->status = error;
    }
  };
  for (Writer* w : group) w->status = Status::Ok();
  Status begun = db_->Exec("BEGIN IMMEDIATE");
  if (!begun.ok()) return fail_all(begun);

  // One operation alone needs no savepoint: its failure rolls back the
  // whole (single-operation) transaction.
  const bool savepoints = group.size() > 1;
  auto exec = [this](const char* sql) -> Status {
    LTSWEEP_ASSIGN_OR_RETURN(Stmt stmt, db_->Prepare(sql));
    return stmt.Run();
  };
  bool any_ok = false;
  for (size_t i = 0; i < group.size(); ++i) {
    Writer* w = group[i];
    if (savepoints) {
      Status s = exec("SAVEPOINT group_op");
      if (!s.ok()) {
        (void)db_->Exec("ROLLBACK");  // best effort; the error is what counts
        return fail_all(s);
      }
    }
    // An exception must not escape: the leader would leave the queue stuck
    // and every later writer waiting forever. It fails this operation only.
    try {
      w->status = (*w->op)();
    } catch (const std::exception& e) {
      w->status = InternalError(std::string("results database write failed: ") + e.what());
    } catch (...) {
      w->status = InternalError("results database write failed: unknown exception");
    }
    if (sqlite3_get_autocommit(db_->raw()) != 0) {
      // SQLite rolled the whole transaction back (e.g. disk full): nothing
      // of the group is written.
      Status error =
          w->status.ok()
              ? InternalError("results database " + db_->path() + ": transaction rolled back")
              : w->status;
      return fail_all(error);
    }
    if (savepoints) {
      Status s = w->status.ok() ? Status::Ok() : exec("ROLLBACK TO group_op");
      if (s.ok()) s = exec("RELEASE group_op");
      if (!s.ok()) {
        (void)db_->Exec("ROLLBACK");  // none of the group is written
        return fail_all(s);
      }
    }
    any_ok = any_ok || w->status.ok();
  }
  if (!any_ok) {
    // Every operation failed: nothing to keep (and no commit for the hook).
    (void)db_->Exec("ROLLBACK");
    return;
  }
  Status committed = db_->before_commit() ? db_->before_commit()() : Status::Ok();
  if (committed.ok()) committed = db_->Exec("COMMIT");
  if (!committed.ok()) {
    if (sqlite3_get_autocommit(db_->raw()) == 0) (void)db_->Exec("ROLLBACK");
    fail_all(committed);
  }
}

}  // namespace ltsweep::sqlite
