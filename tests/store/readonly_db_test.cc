#include "store/readonly_db.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"

namespace ltsweep {
namespace {

using ltsweep::testing::TempDir;

// A real database file with one table, written with plain SQLite.
std::string MakeDb(const TempDir& dir) {
  const std::string path = dir.File("results.db");
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* sql =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE trials (id INTEGER PRIMARY KEY, status TEXT, best_metric REAL);"
      "INSERT INTO trials VALUES (1, 'succeeded', 0.25), (2, 'failed', NULL), (3, 'succeeded', 0.5);"
      "PRAGMA user_version = 1;";
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
  return path;
}

class ReadOnlyDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = MakeDb(dir_);
    auto db = ReadOnlyDb::Open(path_);
    ASSERT_OK(db);
    db_ = std::move(db).value();
  }

  // The query is refused with PERMISSION_DENIED and the message contains `what`.
  void ExpectRefused(const std::string& sql, const std::string& what) {
    auto r = db_->Query(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << sql << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  }

  int64_t CountRows() {
    auto r = db_->Query("SELECT count(*) FROM trials");
    EXPECT_TRUE(r.ok());
    return std::stoll(*r->rows[0][0]);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<ReadOnlyDb> db_;
};

TEST_F(ReadOnlyDbTest, AnswersSelects) {
  auto r = db_->Query("SELECT id, status, best_metric FROM trials ORDER BY id");
  ASSERT_OK(r);
  EXPECT_EQ(r->columns, (std::vector<std::string>{"id", "status", "best_metric"}));
  ASSERT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(*r->rows[0][1], "succeeded");
  EXPECT_EQ(*r->rows[0][2], "0.25");
  EXPECT_FALSE(r->rows[1][2].has_value());
  EXPECT_EQ(r->numeric, (std::vector<bool>{true, false, true}));

  auto agg = db_->Query("SELECT status, avg(best_metric) AS m, round(sqrt(4), 1) FROM trials GROUP BY status");
  ASSERT_OK(agg);
  EXPECT_EQ(agg->rows.size(), 2u);

  auto cte = db_->Query(
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5) SELECT sum(x) FROM n");
  ASSERT_OK(cte);
  EXPECT_EQ(*cte->rows[0][0], "15");

  auto json = db_->Query("SELECT json_extract('{\"a\": 2}', '$.a')");
  ASSERT_OK(json);
  EXPECT_EQ(*json->rows[0][0], "2");

  auto limited = db_->Query("SELECT id FROM trials", 2);
  ASSERT_OK(limited);
  EXPECT_EQ(limited->rows.size(), 2u);
  EXPECT_TRUE(limited->truncated);
}

TEST_F(ReadOnlyDbTest, ReadOnlyPragmasAreAllowed) {
  auto info = db_->Query("PRAGMA table_info(trials)");
  ASSERT_OK(info);
  EXPECT_EQ(info->rows.size(), 3u);
  auto version = db_->Query("PRAGMA user_version");
  ASSERT_OK(version);
  EXPECT_EQ(*version->rows[0][0], "1");
}

TEST_F(ReadOnlyDbTest, RefusesWrites) {
  ExpectRefused("INSERT INTO trials VALUES (4, 'queued', NULL)", "INSERT");
  ExpectRefused("UPDATE trials SET status = 'failed'", "UPDATE");
  ExpectRefused("DELETE FROM trials", "DELETE");
  ExpectRefused("CREATE TABLE t (x)", "CREATE");
  ExpectRefused("CREATE TEMP TABLE t (x)", "CREATE");
  ExpectRefused("DROP TABLE trials", "DROP");
  ExpectRefused("ALTER TABLE trials ADD COLUMN y", "ALTER");
  ExpectRefused("CREATE INDEX i ON trials (status)", "CREATE");
  EXPECT_EQ(CountRows(), 3);
}

TEST_F(ReadOnlyDbTest, RefusesAttachPragmaWritesAndExtensions) {
  ExpectRefused("ATTACH DATABASE '" + dir_.File("other.db") + "' AS other", "ATTACH");
  ExpectRefused("PRAGMA user_version = 5", "user_version");
  ExpectRefused("PRAGMA journal_mode = DELETE", "journal_mode");
  ExpectRefused("PRAGMA writable_schema = 1", "writable_schema");
  ExpectRefused("SELECT load_extension('/nonexistent/libevil.so')", "load_extension");
  ExpectRefused("BEGIN", "BEGIN");
  ExpectRefused("VACUUM", "not allowed");
  ExpectRefused("WITH x AS (SELECT 1) DELETE FROM trials", "DELETE");
  EXPECT_FALSE(std::filesystem::exists(dir_.File("other.db")));

  // The file itself is unchanged: a fresh connection still sees version 1.
  auto again = ReadOnlyDb::Open(path_);
  ASSERT_OK(again);
  EXPECT_EQ(*(*again)->Query("PRAGMA user_version")->rows[0][0], "1");
}

TEST_F(ReadOnlyDbTest, InvalidSqlAndSeveralStatements) {
  auto bad = db_->Query("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos);

  auto missing = db_->Query("SELECT * FROM no_such_table");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);

  auto two = db_->Query("SELECT 1; DELETE FROM trials");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
  EXPECT_OK(db_->Query("SELECT 1; -- trailing comment"));
  EXPECT_EQ(CountRows(), 3);
}

TEST(ReadOnlyDbOpenTest, MissingFileAndNotADatabase) {
  TempDir dir;
  auto missing = ReadOnlyDb::Open(dir.File("nope.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.File("nope.db")));  // not created

  ltsweep::testing::WriteFile(dir.File("junk.db"), std::string(4096, 'x'));
  auto junk = ReadOnlyDb::Open(dir.File("junk.db"));
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("junk.db"), std::string::npos);
}

TEST(ReadOnlyDbLeaseTokenTest, LeaseTokensReadAsNull) {
  TempDir dir;
  const std::string path = dir.File("leases.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TABLE trials (id INTEGER PRIMARY KEY, status TEXT, lease_token TEXT);"
                         "INSERT INTO trials VALUES (1, 'leased', '0123456789abcdef0123456789abcdef');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = ReadOnlyDb::Open(path);
  ASSERT_OK(db);
  auto r = (*db)->Query("SELECT id, status, lease_token, upper(lease_token) FROM trials");
  ASSERT_OK(r);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(*r->rows[0][1], "leased");
  EXPECT_FALSE(r->rows[0][2].has_value());
  EXPECT_FALSE(r->rows[0][3].has_value());
  auto star = (*db)->Query("SELECT * FROM trials");
  ASSERT_OK(star);
  EXPECT_FALSE(star->rows[0][2].has_value()) << "SELECT * hides it too";
  auto probe = (*db)->Query("SELECT count(*) FROM trials WHERE lease_token LIKE '0%'");
  ASSERT_OK(probe);
  EXPECT_EQ(*probe->rows[0][0], "0") << "no oracle through WHERE";
}

}  // namespace
}  // namespace ltsweep
