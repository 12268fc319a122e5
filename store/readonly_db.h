// ReadOnlyDb: a connection to the results database that cannot change it,
// for user-typed SQL (`ltsweep sql "SELECT ..."`). It is the store's one
// entry point for SQL written outside store/: ltsweep's own reads go through
// Store (store/store.h), which alone knows the schema.
//
// Three locks, each enough on its own for what it guards:
//   - the file is opened with SQLITE_OPEN_READONLY (never created);
//   - an authorizer (sqlite3_set_authorizer) allows only reads: SELECT, table
//     reads (the lease_token columns read as NULL: lease tokens are secrets
//     of running attempts, docs/security.md), recursive CTEs, an allow-list of pure SQL functions, and the
//     read-only PRAGMAs (table_info, index_list, user_version without a
//     value, ...). INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ATTACH,
//     DETACH, transactions, PRAGMA assignments, load_extension() and any
//     function not on the list are refused at prepare time;
//   - extension loading is switched off (SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION)
//     and the connection is put in defensive mode.
// Refusals are PERMISSION_DENIED naming what was refused; SQL that does not
// parse is INVALID_ARGUMENT with SQLite's message; a missing or unreadable
// file is NOT_FOUND / UNAVAILABLE. Only one statement per Query() call.
//
// Ownership: owns its sqlite3 connection. Thread-safety: not thread-safe;
// use one ReadOnlyDb per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ltsweep {

// The answer to one query: column names and rows of text (nullopt = NULL).
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  // Per column: every non-NULL value was an integer or a real.
  std::vector<bool> numeric;
  bool truncated = false;  // max_rows was reached
};

class ReadOnlyDb {
 public:
  // Opens an existing database file read-only. busy_timeout_ms: how long a
  // read waits for a writer's lock (default 5000).
  static StatusOr<std::unique_ptr<ReadOnlyDb>> Open(const std::string& path, int busy_timeout_ms = 5000);
  ~ReadOnlyDb();
  ReadOnlyDb(const ReadOnlyDb&) = delete;
  ReadOnlyDb& operator=(const ReadOnlyDb&) = delete;

  // Runs one read-only statement and returns up to `max_rows` rows (0: all).
  StatusOr<QueryResult> Query(const std::string& sql, size_t max_rows = 0);

  // Checks that `sql` is one statement the authorizer accepts, without
  // running it.
  Status Check(const std::string& sql);

  const std::string& path() const { return path_; }

  // Why the authorizer refused the last refused action ("" when none).
  const std::string& last_refusal() const { return refusal_; }

 private:
  ReadOnlyDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static int Authorize(void* self, int action, const char* a3, const char* a4, const char* db_name,
                       const char* trigger);
  Status Prepare(const std::string& sql, sqlite3_stmt** stmt);

  sqlite3* db_;
  std::string path_;
  std::string refusal_;
  std::string verb_;  // first keyword of the statement being prepared
};

}  // namespace ltsweep
