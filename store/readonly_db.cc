#include "store/readonly_db.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <string_view>

#include <fmt/format.h>

namespace ltsweep {

namespace {

// Pure functions of SQLite's core, date/time, math, JSON and window sets.
const std::set<std::string>& AllowedFunctions() {
  static const std::set<std::string> kAllowed = {
      "abs", "avg", "char", "coalesce", "concat", "concat_ws", "count", "date", "datetime", "format",
      "glob", "group_concat", "hex", "ifnull", "iif", "instr", "julianday", "length", "like",
      "likelihood", "likely", "lower", "ltrim", "max", "min", "nullif", "octet_length", "printf",
      "quote", "random", "randomblob", "replace", "round", "rtrim", "sign", "string_agg", "strftime",
      "substr", "substring", "sum", "time", "timediff", "total", "trim", "typeof", "unhex", "unicode",
      "unixepoch", "unlikely", "upper", "zeroblob", "sqlite_version",
      // window functions
      "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
      "first_value", "last_value", "nth_value",
      // math
      "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh",
      "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians",
      "sin", "sinh", "sqrt", "square", "tan", "tanh", "trunc"};
  return kAllowed;
}

// PRAGMAs that only read, with an argument naming a table or index.
const std::set<std::string>& QueryPragmas() {
  static const std::set<std::string> k = {"table_info", "table_xinfo", "index_list", "index_info",
                                          "index_xinfo", "foreign_key_list", "table_list"};
  return k;
}

// PRAGMAs that are settings: allowed only to read (no value given).
const std::set<std::string>& SettingPragmas() {
  static const std::set<std::string> k = {"user_version", "schema_version", "application_id", "page_count",
                                          "page_size", "journal_mode", "encoding", "freelist_count",
                                          "database_list", "compile_options", "function_list", "collation_list"};
  return k;
}

std::string Lower(const char* s) {
  std::string out = s == nullptr ? "" : s;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string Str(const char* s) { return s == nullptr ? "" : s; }

bool OnlySpaceOrComments(const char* tail) {
  const std::string t = tail == nullptr ? "" : tail;
  size_t i = 0;
  while (i < t.size()) {
    if (std::isspace(static_cast<unsigned char>(t[i])) || t[i] == ';') {
      ++i;
    } else if (t.compare(i, 2, "--") == 0) {
      i = t.find('\n', i);
      if (i == std::string::npos) return true;
    } else if (t.compare(i, 2, "/*") == 0) {
      i = t.find("*/", i + 2);
      if (i == std::string::npos) return true;
      i += 2;
    } else {
      return false;
    }
  }
  return true;
}

constexpr std::string_view kLeaseTokenColumn = "lease_token";

}  // namespace

int ReadOnlyDb::Authorize(void* self_ptr, int action, const char* a3, const char* a4, const char* db_name,
                          const char* /*trigger*/) {
  auto* self = static_cast<ReadOnlyDb*>(self_ptr);
  auto deny = [&](std::string why) {
    self->refusal_ = std::move(why);
    return SQLITE_DENY;
  };
  switch (action) {
    case SQLITE_READ:
      // Lease tokens fence the running attempts: they read as NULL here, so
      // no query (not even a WHERE on them) can learn one.
      if (a4 != nullptr && std::string_view(a4) == kLeaseTokenColumn) return SQLITE_IGNORE;
      return SQLITE_OK;
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION: {
      const std::string name = Lower(a4);
      if (AllowedFunctions().count(name) > 0 || name.rfind("json", 0) == 0) return SQLITE_OK;
      if (name == "load_extension") return deny("load_extension() is not allowed");
      return deny(fmt::format("function {}() is not on the read-only allow-list", name));
    }
    case SQLITE_PRAGMA: {
      const std::string name = Lower(a3);
      if (QueryPragmas().count(name) > 0) return SQLITE_OK;
      if (SettingPragmas().count(name) > 0) {
        if (a4 == nullptr) return SQLITE_OK;
        return deny(fmt::format("PRAGMA {} = {} would change the database; only reading it is allowed", name, Str(a4)));
      }
      return deny(fmt::format("PRAGMA {} is not allowed (read-only pragmas: table_info, index_list, user_version, ...)",
                              name));
    }
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE: {
      const std::string table = Str(a3);
      if (table.rfind("sqlite_", 0) == 0) {  // CREATE / DROP / ALTER write the schema table first
        return deny(fmt::format("{} (a schema change) is not allowed", self->verb_));
      }
      if (action == SQLITE_INSERT) return deny(fmt::format("INSERT into {} is not allowed", table));
      if (action == SQLITE_UPDATE) return deny(fmt::format("UPDATE of {}.{} is not allowed", table, Str(a4)));
      return deny(fmt::format("DELETE from {} is not allowed", table));
    }
    case SQLITE_ATTACH: return deny("ATTACH is not allowed");
    case SQLITE_DETACH: return deny("DETACH is not allowed");
    case SQLITE_TRANSACTION: return deny(fmt::format("{} (transactions) is not allowed", Str(a3)));
    case SQLITE_SAVEPOINT: return deny("SAVEPOINT is not allowed");
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
      return deny(fmt::format("CREATE ({}) is not allowed", Str(a3)));
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
      return deny(fmt::format("DROP ({}) is not allowed", Str(a3)));
    case SQLITE_ALTER_TABLE: return deny(fmt::format("ALTER TABLE {} is not allowed", Str(a4)));
    case SQLITE_REINDEX: return deny("REINDEX is not allowed");
    case SQLITE_ANALYZE: return deny("ANALYZE is not allowed");
    default:
      (void)db_name;
      return deny(fmt::format("statement kind {} is not allowed", action));
  }
}

StatusOr<std::unique_ptr<ReadOnlyDb>> ReadOnlyDb::Open(const std::string& path, int busy_timeout_ms) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFoundError(fmt::format("results database {} does not exist", path));
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return UnavailableError(fmt::format("cannot open results database {}: {}", path, msg));
  }
  std::unique_ptr<ReadOnlyDb> out(new ReadOnlyDb(db, path));
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
#endif
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_set_authorizer(db, &ReadOnlyDb::Authorize, out.get());
  // Read something now so a file that is not a database fails here.
  StatusOr<QueryResult> probe = out->Query("SELECT count(*) FROM sqlite_master");
  if (!probe.ok()) {
    return StatusOr<std::unique_ptr<ReadOnlyDb>>(
        UnavailableError(fmt::format("cannot read results database {}: {}", path, probe.status().message())));
  }
  return out;
}

ReadOnlyDb::~ReadOnlyDb() { sqlite3_close(db_); }

// The statement's first keyword, upper-cased ("CREATE"), for messages.
static std::string LeadingKeyword(const std::string& sql) {
  size_t i = 0;
  while (i < sql.size() && !std::isalpha(static_cast<unsigned char>(sql[i]))) ++i;
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
    ++i;
  }
  return word.empty() ? "the statement" : word;
}

Status ReadOnlyDb::Prepare(const std::string& sql, sqlite3_stmt** stmt) {
  refusal_.clear();
  verb_ = LeadingKeyword(sql);
  const char* tail = nullptr;
  *stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), stmt, &tail);
  if (rc != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
    if (rc == SQLITE_AUTH || !refusal_.empty()) {
      return PermissionDeniedError(fmt::format("refused: {} (the results database is read-only here)",
                                               refusal_.empty() ? msg : refusal_));
    }
    return InvalidArgumentError(fmt::format("invalid SQL: {}", msg));
  }
  if (*stmt == nullptr) return InvalidArgumentError("invalid SQL: no statement given");
  if (!OnlySpaceOrComments(tail)) {
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
    return InvalidArgumentError("invalid SQL: give one statement at a time");
  }
  if (!sqlite3_stmt_readonly(*stmt)) {
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
    return PermissionDeniedError(
        fmt::format("refused: {} would change the database; it is not allowed (the results database is read-only here)",
                    verb_));
  }
  return Status::Ok();
}

Status ReadOnlyDb::Check(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  Status st = Prepare(sql, &stmt);
  sqlite3_finalize(stmt);
  return st;
}

StatusOr<QueryResult> ReadOnlyDb::Query(const std::string& sql, size_t max_rows) {
  sqlite3_stmt* stmt = nullptr;
  LTSWEEP_RETURN_IF_ERROR(Prepare(sql, &stmt));
  QueryResult result;
  const int ncols = sqlite3_column_count(stmt);
  for (int c = 0; c < ncols; ++c) result.columns.push_back(Str(sqlite3_column_name(stmt, c)));
  std::vector<int> seen_text(ncols, 0), seen_num(ncols, 0);
  while (true) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return UnavailableError("results database is locked: " + msg);
      return InvalidArgumentError("query failed: " + msg);
    }
    if (max_rows > 0 && result.rows.size() >= max_rows) {
      result.truncated = true;
      break;
    }
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < ncols; ++c) {
      const int type = sqlite3_column_type(stmt, c);
      if (type == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
        continue;
      }
      if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
        ++seen_num[c];
      } else {
        ++seen_text[c];
      }
      if (type == SQLITE_BLOB) {
        row.emplace_back(fmt::format("<blob {} bytes>", sqlite3_column_bytes(stmt, c)));
        continue;
      }
      const unsigned char* text = sqlite3_column_text(stmt, c);
      row.emplace_back(std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
    }
    result.rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  for (int c = 0; c < ncols; ++c) result.numeric.push_back(seen_num[c] > 0 && seen_text[c] == 0);
  return result;
}

}  // namespace ltsweep
