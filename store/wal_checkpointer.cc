#include "store/wal_checkpointer.h"

#include <pthread.h>
#include <sqlite3.h>

#include <cstdio>

namespace ltsweep::sqlite {

StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(Db* writer, int threshold_pages,
                                                                  int busy_timeout_ms) {
  if (threshold_pages < 1) {
    return InvalidArgumentError("WAL checkpoint threshold must be at least 1 page, got " +
                                std::to_string(threshold_pages));
  }
  LTSWEEP_ASSIGN_OR_RETURN(std::unique_ptr<Db> own,
                           Db::Open(writer->path(), /*read_only=*/false, busy_timeout_ms));
  LTSWEEP_RETURN_IF_ERROR(writer->Exec("PRAGMA wal_autocheckpoint = 0"));
  std::unique_ptr<WalCheckpointer> checkpointer(
      new WalCheckpointer(writer, std::move(own), threshold_pages));
  sqlite3_wal_hook(writer->raw(), &WalCheckpointer::OnCommit, checkpointer.get());
  return checkpointer;
}

WalCheckpointer::WalCheckpointer(Db* writer, std::unique_ptr<Db> own, int threshold_pages)
    : writer_(writer), own_(std::move(own)), threshold_pages_(threshold_pages) {
  thread_ = std::thread([this] { Loop(); });
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_->raw(), nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

// Runs on the writer's thread after each commit, with the log's length.
int WalCheckpointer::OnCommit(void* self, struct sqlite3*, const char*, int pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (pages >= checkpointer->threshold_pages_) {
    {
      std::lock_guard<std::mutex> lock(checkpointer->mu_);
      checkpointer->pending_ = true;
    }
    checkpointer->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::Loop() {
  pthread_setname_np(pthread_self(), "store-ckpt");  // for top -H, perf, gdb
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return pending_ || stop_; });
      if (stop_) return;
      pending_ = false;
    }
    int log_pages = 0, copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(own_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             &log_pages, &copied);
    if (rc == SQLITE_OK) {
      ++checkpoints_;
    } else if (rc != SQLITE_BUSY) {
      // Not fatal: the log only grows until the next checkpoint succeeds.
      std::fprintf(stderr, "results database %s: background checkpoint failed: %s\n",
                   own_->path().c_str(), sqlite3_errmsg(own_->raw()));
    }
  }
}

}  // namespace ltsweep::sqlite
