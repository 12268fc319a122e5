// Helpers shared by the store's test files: a store on a temporary file with a
// fake clock, sweeps of made-up trials, and SQL run on the file directly.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "common/clock.h"
#include "store/store.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {

// Runs one SQL statement on the file directly (beside the store) and returns
// the first column of the first row as text ("" when none).
inline std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// A NewSweep of `n` trials whose hashes are "<prefix>-0", "<prefix>-1", ...
inline NewSweep MakeSweep(const std::string& name, int n, const std::string& prefix,
                          int priority = 0, int max_attempts = 3) {
  NewSweep sweep;
  sweep.name = name;
  sweep.spec_yaml = "name: " + name + "\n";
  sweep.priority = priority;
  sweep.max_attempts = max_attempts;
  for (int i = 0; i < n; ++i) {
    sweep.trials.push_back({prefix + "-" + std::to_string(i),
                            "{\"train\":{\"seed\":" + std::to_string(i) + "},\"tag\":\"" +
                                prefix + "\"}"});
  }
  return sweep;
}

// A fresh store on a temporary file, its fake clock, and a registered worker.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("results.db");
    auto store = Store::Open(path_, Options());
    ASSERT_OK(store);
    store_ = std::move(store).value();
    auto worker = store_->RegisterWorker({"w1", "host-a", 2, {0, 1}});
    ASSERT_OK(worker);
  }

  StoreOptions Options() {
    StoreOptions options;
    options.clock = &clock_;
    options.token_seed = 42;
    return options;
  }

  // Reopens the same file (as a restarted coordinator would).
  void Reopen() {
    store_.reset();
    auto store = Store::Open(path_, Options());
    ASSERT_OK(store);
    store_ = std::move(store).value();
  }

  TempDir dir_;
  std::string path_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

}  // namespace ltsweep::testing
