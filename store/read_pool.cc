#include "store/read_pool.h"

#include <utility>

namespace ltsweep::sqlite {

ReadPool::Conn::~Conn() {
  if (db_ != nullptr && pool_ != nullptr) pool_->Return(std::move(db_));
}

StatusOr<ReadPool::Conn> ReadPool::Get() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Db> db = std::move(idle_.back());
      idle_.pop_back();
      return Conn(this, std::move(db));
    }
  }
  LTSWEEP_ASSIGN_OR_RETURN(std::unique_ptr<Db> db,
                           Db::Open(path_, /*read_only=*/true, options_.busy_timeout_ms));
  LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size = -" + std::to_string(options_.cache_size_kib)));
  LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA temp_store = MEMORY"));
  LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA mmap_size = " + std::to_string(options_.mmap_size_bytes)));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++opened_;
  }
  return Conn(this, std::move(db));
}

int64_t ReadPool::opened() const {
  std::lock_guard<std::mutex> lock(mu_);
  return opened_;
}

void ReadPool::Return(std::unique_ptr<Db> db) {
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int>(idle_.size()) < options_.max_idle) idle_.push_back(std::move(db));
}

}  // namespace ltsweep::sqlite
