// The schema of the results database as an ordered list of migrations.
//
// Migration i (1-based) moves a database from PRAGMA user_version i-1 to i.
// A new schema change is a new entry at the end of the list in
// migrations.cc; entries already released are never edited.
//
// Internal to store/. Thread-safety: not thread-safe (runs inside Open()).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace ltsweep::sqlite {

// The SQL of every migration, oldest first.
const std::vector<std::string>& Migrations();

// The version the last migration reaches.
int LatestVersion();

// Reads PRAGMA user_version.
StatusOr<int> SchemaVersion(Db* db);

// OK for an ltsweep results database or a file without tables (a new
// one); FAILED_PRECONDITION for an SQLite file of something else (tables
// but no ltsweep schema version, or another application_id). Reads only.
Status CheckIsResultsDb(Db* db);

// PRAGMA quick_check: OK, or DATA_LOSS naming the file and SQLite's report.
// Reads only.
Status QuickCheck(Db* db);

// Applies the missing migrations, each in its own transaction.
// FAILED_PRECONDITION when the file is newer than this build knows, or when
// it needs migrating and the database is read-only.
Status Migrate(Db* db);

}  // namespace ltsweep::sqlite
