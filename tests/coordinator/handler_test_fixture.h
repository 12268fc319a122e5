// The coordinator's handlers without sockets, for tests: a real SQLite file
// in a temporary folder, a FakeClock, and the worker and client handlers on
// it. A test fixture derives from HandlerTest, sets what it needs in
// options_ (lease_ttl, heartbeat_interval, ...) and calls OpenHandlers() from
// its SetUp; the coordinator's log lines collect in log_.
//
// Thread-safety: as a gtest fixture, used from the test's thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "coordinator/client_handler.h"
#include "coordinator/options.h"
#include "coordinator/worker_handler.h"
#include "store/store.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {

class HandlerTest : public ::testing::Test {
 protected:
  // Opens (or reopens, dropping the handlers first) dir_/sweeps.db with the
  // fake clock and token seed 1 added to `so`, then the handlers, with
  // options_ resolved: its db_path, clock and log are filled in here.
  void OpenHandlers(StoreOptions so = StoreOptions()) {
    options_.db_path = dir_.File("sweeps.db");
    options_.clock = &clock_;
    options_.log = [this](const std::string& line) { log_.push_back(line); };
    ASSERT_OK(options_.Resolve());
    so.clock = &clock_;
    so.token_seed = 1;
    workers_.reset();
    clients_.reset();
    store_.reset();
    auto store = Store::Open(options_.db_path, so);
    ASSERT_OK(store);
    store_ = std::move(store).value();
    workers_ = std::make_unique<WorkerHandler>(*store_, options_);
    clients_ = std::make_unique<ClientHandler>(*store_, options_);
  }

  ::ltsweep::testing::TempDir dir_;
  FakeClock clock_;
  CoordinatorOptions options_;
  std::vector<std::string> log_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<WorkerHandler> workers_;
  std::unique_ptr<ClientHandler> clients_;
};

}  // namespace ltsweep::coordinator
