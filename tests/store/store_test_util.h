// Helpers shared by the store's test files: a store on a temporary file with a
// fake clock, and sweeps of made-up trials.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "store/store.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {

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
