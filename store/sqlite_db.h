// A thin C++ layer over the SQLite C API for the store: one connection,
// statements prepared once and cached by their SQL text, an RAII transaction,
// and SQLite result codes mapped to Status.
//
// Internal to store/; the public interface is store/store.h.
//
// Thread-safety: not thread-safe. The Store serialises all use under its
// mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ltsweep::sqlite {

class Db;

// A cached prepared statement, borrowed for one use: bind, step, read
// columns. Reset (and its bindings cleared) when the Stmt dies, so the cached
// statement is ready for the next use.
class Stmt {
 public:
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt();
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;

  // Resets the statement, then binds parameters 1..N in order.
  template <typename... Args>
  Stmt& Bind(const Args&... args) {
    Reset();
    int index = 1;
    (BindOne(index++, args), ...);
    return *this;
  }

  // Makes the statement ready to run again (bindings are kept).
  void Reset();

  // Steps once: true when a row is ready, false when done.
  StatusOr<bool> Step();
  // Steps to the end (for statements that return no rows).
  Status Run();

  bool IsNull(int col) const;
  int64_t Int64(int col) const;
  int Int(int col) const { return static_cast<int>(Int64(col)); }
  double Double(int col) const;  // NULL reads as NaN
  std::string Text(int col) const;  // NULL reads as ""
  std::optional<int64_t> OptInt64(int col) const;
  std::optional<int> OptInt(int col) const;
  std::optional<double> OptDouble(int col) const;

  void BindOne(int index, int value);
  void BindOne(int index, int64_t value);
  void BindOne(int index, bool value) { BindOne(index, value ? 1 : 0); }
  void BindOne(int index, double value);  // NaN binds as NULL
  void BindOne(int index, std::string_view value);
  void BindOne(int index, const std::string& value) { BindOne(index, std::string_view(value)); }
  void BindOne(int index, const char* value) { BindOne(index, std::string_view(value)); }
  void BindOne(int index, std::nullptr_t);
  template <typename T>
  void BindOne(int index, const std::optional<T>& value) {
    if (value) {
      BindOne(index, *value);
    } else {
      BindOne(index, nullptr);
    }
  }

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;  // first sqlite3_bind_* failure, reported by Step()
};

class Db {
 public:
  // Opens `path` (created when absent unless read_only).
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path, bool read_only,
                                            int busy_timeout_ms);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // The cached statement for `sql`, prepared on first use.
  StatusOr<Stmt> Prepare(const std::string& sql);

  // Runs one or more statements that return nothing (DDL, PRAGMAs).
  Status Exec(const std::string& sql);

  // The Status for SQLite result code `rc`, with SQLite's message and the
  // database path: BUSY/LOCKED, FULL and IOERR* -> UNAVAILABLE (transient),
  // CORRUPT/NOTADB -> DATA_LOSS, READONLY -> FAILED_PRECONDITION,
  // CONSTRAINT -> INVALID_ARGUMENT, else INTERNAL.
  Status Error(int rc, std::string_view what) const;

  int64_t LastInsertRowId() const;
  int Changes() const;
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }
  sqlite3* raw() { return db_; }

  // Called just before every COMMIT of a write Transaction (see
  // StoreOptions::before_commit).
  void set_before_commit(std::function<Status()> hook) { before_commit_ = std::move(hook); }
  const std::function<Status()>& before_commit() const { return before_commit_; }

 private:
  Db(sqlite3* db, std::string path, bool read_only)
      : db_(db), path_(std::move(path)), read_only_(read_only) {}

  sqlite3* db_;
  std::string path_;
  bool read_only_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::function<Status()> before_commit_;
};

// BEGIN IMMEDIATE (write) or BEGIN (read) ... COMMIT; rolled back when
// destroyed without a successful Commit().
class Transaction {
 public:
  enum class Kind { kRead, kWrite };
  explicit Transaction(Db* db, Kind kind = Kind::kWrite) : db_(db), kind_(kind) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // FAILED_PRECONDITION for a write on a read-only database.
  Status Begin();
  Status Commit();

 private:
  Db* db_;
  Kind kind_;
  bool open_ = false;
};

}  // namespace ltsweep::sqlite
