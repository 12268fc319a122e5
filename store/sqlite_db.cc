#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <cmath>
#include <limits>

namespace ltsweep::sqlite {

// --- Stmt -------------------------------------------------------------------

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  bind_error_ = 0;
}

void Stmt::BindOne(int index, int value) { BindOne(index, static_cast<int64_t>(value)); }

void Stmt::BindOne(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Stmt::BindOne(int index, double value) {
  if (std::isnan(value)) {
    BindOne(index, nullptr);
    return;
  }
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Stmt::BindOne(int index, std::string_view value) {
  int rc = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Stmt::BindOne(int index, std::nullptr_t) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

StatusOr<bool> Stmt::Step() {
  if (bind_error_ != 0) {
    return db_->Error(bind_error_, std::string("binding parameters of: ") + sqlite3_sql(stmt_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, sqlite3_sql(stmt_));
}

Status Stmt::Run() {
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Stmt::Int64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Stmt::Double(int col) const {
  if (IsNull(col)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(stmt_, col);
}

std::string Stmt::Text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<int64_t> Stmt::OptInt64(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int64(col);
}

std::optional<int> Stmt::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

std::optional<double> Stmt::OptDouble(int col) const {
  if (IsNull(col)) return std::nullopt;
  return sqlite3_column_double(stmt_, col);
}

// --- Db ---------------------------------------------------------------------

StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path, bool read_only,
                                       int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    if (rc == SQLITE_CANTOPEN) {
      return NotFoundError("cannot open results database " + path + ": " + message);
    }
    return InternalError("cannot open results database " + path + ": " + message);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return std::unique_ptr<Db>(new Db(raw, path, read_only));
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

StatusOr<Stmt> Db::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "preparing: " + sql);
    it = cache_.emplace(sql, stmt).first;
  }
  return Stmt(this, it->second);
}

Status Db::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status status = Error(rc, sql);
    return Status(status.code(), "results database " + path_ + ": " + message + " (in: " +
                                     sql.substr(0, 200) + ")");
  }
  return Status::Ok();
}

Status Db::Error(int rc, std::string_view what) const {
  std::string message = "results database " + path_ + ": " + sqlite3_errmsg(db_) + " (in: " +
                        std::string(what.substr(0, 200)) + ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(message);
    case SQLITE_FULL:
    case SQLITE_IOERR:
      // Transient: the disk fills up and is freed, a network file system
      // comes back. A worker told UNAVAILABLE keeps its rows and retries;
      // RESOURCE_EXHAUSTED would read as "too large, never send again".
      return UnavailableError(message);
    case SQLITE_READONLY:
      return FailedPreconditionError(message);
    case SQLITE_CONSTRAINT:
      return InvalidArgumentError(message);
    default:
      return InternalError(message);
  }
}

int64_t Db::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int Db::Changes() const { return sqlite3_changes(db_); }

// --- Transaction --------------------------------------------------------------

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Begin() {
  if (kind_ == Kind::kWrite && db_->read_only()) {
    return FailedPreconditionError("results database " + db_->path() +
                                   " is open read-only; writes are refused");
  }
  LTSWEEP_RETURN_IF_ERROR(db_->Exec(kind_ == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  if (kind_ == Kind::kWrite && db_->before_commit()) {
    Status hook = db_->before_commit()();
    if (!hook.ok()) return hook;  // the destructor rolls back
  }
  LTSWEEP_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  open_ = false;
  return Status::Ok();
}

}  // namespace ltsweep::sqlite
