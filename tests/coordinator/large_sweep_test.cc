// The coordinator's answers for large sweeps (issue 14): ListTrials pages
// (size capped, lean unless asked, tokens checked, state filters), status
// counts with epoch sums, WatchSweep deltas, and the bound on open
// WatchSweep streams over real gRPC on loopback.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "coordinator/client_handler.h"
#include "coordinator/coordinator_server.h"
#include "coordinator/worker_handler.h"
#include "proto/client_service.grpc.pb.h"
#include "store/store.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using ::ltsweep::testing::TempDir;

NewSweep MadeUpSweep(int n) {
  NewSweep sweep;
  sweep.name = "big";
  sweep.spec_yaml = "name: big\n";
  for (int i = 0; i < n; ++i) {
    sweep.trials.push_back({"hash-" + std::to_string(i),
                            "{\"train\":{\"epochs\":4,\"seed\":" + std::to_string(i) + "}}"});
  }
  return sweep;
}

class LargeSweepHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.db_path = dir_.File("sweeps.db");
    options_.max_page_size = 100;
    options_.log = [](const std::string&) {};
    ASSERT_OK(options_.Resolve());
    auto store = Store::Open(options_.db_path, StoreOptions());
    ASSERT_OK(store);
    store_ = std::move(store).value();
    clients_ = std::make_unique<ClientHandler>(*store_, options_);
    auto created = store_->CreateSweep(MadeUpSweep(2500));
    ASSERT_OK(created);
    sweep_id_ = created->sweep_id;
    ASSERT_OK(store_->RegisterWorker({"w1", "h", 1, {}}));
  }

  // Leases and succeeds one trial with two epochs of metrics.
  int64_t RunOne() {
    auto lease = store_->LeaseNextTrial("w1", std::chrono::minutes(1));
    EXPECT_TRUE(lease.ok() && lease->has_value());
    const Lease& l = **lease;
    MetricBatch batch;
    batch.metrics = {{0, "val_error", 0.5}, {1, "val_error", 0.25}};
    batch.per_class = {{1, "error", 0, 0.1}, {1, "error", 1, 0.4}};
    EXPECT_OK(store_->ReportMetrics(l.trial_id, l.token, batch));
    FinishRequest finish;
    finish.best_metric = 0.25;
    EXPECT_OK(store_->FinishAttempt(l.trial_id, l.token, finish));
    return l.trial_id;
  }

  TempDir dir_;
  CoordinatorOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ClientHandler> clients_;
  int64_t sweep_id_ = 0;
};

TEST_F(LargeSweepHandlerTest, ListTrialsPagesEveryTrialOnceLeanAndCapped) {
  v1::ListTrialsRequest request;
  request.set_sweep_id(sweep_id_);
  request.set_page_size(1000);  // capped at max_page_size (100)
  std::set<int64_t> seen;
  int pages = 0;
  for (;;) {
    v1::ListTrialsResponse page;
    ASSERT_OK(clients_->ListTrials(request, &page));
    ++pages;
    EXPECT_LE(page.trials_size(), 100);
    for (const auto& t : page.trials()) {
      EXPECT_TRUE(t.config_json().empty()) << "configs only when asked";
      EXPECT_TRUE(seen.insert(t.trial_id()).second) << "trial " << t.trial_id() << " twice";
    }
    if (pages % 5 == 0) RunOne();  // states change between pages
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages, 25);
  EXPECT_EQ(seen.size(), 2500u);
}

TEST_F(LargeSweepHandlerTest, ListTrialsGivesConfigsHistoriesAndFiltersWhenAsked) {
  const int64_t done = RunOne();
  v1::ListTrialsRequest request;
  request.set_sweep_id(sweep_id_);
  request.set_include_config(true);
  request.set_include_history(true);
  request.add_states("succeeded");
  v1::ListTrialsResponse page;
  ASSERT_OK(clients_->ListTrials(request, &page));
  ASSERT_EQ(page.trials_size(), 1);
  const v1::TrialInfo& t = page.trials(0);
  EXPECT_EQ(t.trial_id(), done);
  EXPECT_NE(t.config_json().find("\"epochs\":4"), std::string::npos);
  EXPECT_TRUE(t.has_history());
  EXPECT_EQ(t.attempts_size(), 1);
  EXPECT_EQ(t.history_size(), 4);  // two val_error epochs + two per-class values
  EXPECT_TRUE(page.next_page_token().empty());
  // started_only: what results needs, without the 2,499 trials that never ran.
  auto lease = store_->LeaseNextTrial("w1", std::chrono::minutes(1));
  ASSERT_OK(lease);
  v1::ListTrialsRequest started;
  started.set_sweep_id(sweep_id_);
  started.set_started_only(true);
  v1::ListTrialsResponse both;
  ASSERT_OK(clients_->ListTrials(started, &both));
  ASSERT_EQ(both.trials_size(), 2);
  EXPECT_EQ(both.trials(0).trial_id(), done);
  EXPECT_EQ(both.trials(1).trial_id(), (*lease)->trial_id);
}

TEST_F(LargeSweepHandlerTest, BadPageRequestsAreRefusedClearly) {
  v1::ListTrialsRequest request;
  request.set_sweep_id(sweep_id_);
  v1::ListTrialsResponse page;
  request.set_page_token("not-a-token");
  Status s = clients_->ListTrials(request, &page);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("page_token"), std::string::npos) << s.ToString();
  request.set_page_token(std::to_string(sweep_id_ + 1) + ":10");  // another sweep's
  EXPECT_EQ(clients_->ListTrials(request, &page).code(), StatusCode::kInvalidArgument);
  request.clear_page_token();
  request.add_states("sleeping");
  s = clients_->ListTrials(request, &page);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("sleeping"), std::string::npos) << s.ToString();
  request.clear_states();
  request.set_page_size(-1);
  EXPECT_EQ(clients_->ListTrials(request, &page).code(), StatusCode::kInvalidArgument);
}

TEST_F(LargeSweepHandlerTest, GetSweepCarriesCountsAndEpochSums) {
  RunOne();
  auto lease = store_->LeaseNextTrial("w1", std::chrono::minutes(1));
  ASSERT_OK(lease);
  v1::GetSweepRequest request;
  request.set_sweep_id(sweep_id_);
  v1::SweepInfo info;
  ASSERT_OK(clients_->GetSweep(request, &info));
  EXPECT_EQ(info.trials_total(), 2500);
  EXPECT_EQ(info.trials_expected(), 2500);
  EXPECT_EQ(info.trials_succeeded(), 1);
  EXPECT_EQ(info.trials_running(), 1);
  EXPECT_EQ(info.trials_queued(), 2498);
  EXPECT_EQ(info.epochs_queued(), 2498 * 4);
  EXPECT_EQ(info.epochs_running(), 4);
  EXPECT_EQ(info.epochs_succeeded(), 4);
}

TEST_F(LargeSweepHandlerTest, WatchSendsCountsThenDeltasOfTheChangedTrials) {
  options_.watch_poll = std::chrono::milliseconds(10);
  std::mutex mu;
  std::vector<v1::SweepEvent> events;  // GUARDED_BY(mu)
  auto snapshot = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return events;
  };
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    Status s = clients_->WatchSweep(
        [&] {
          v1::WatchSweepRequest r;
          r.set_sweep_id(sweep_id_);
          return r;
        }(),
        [&](const v1::SweepEvent& e) {
          std::lock_guard<std::mutex> lock(mu);
          events.push_back(e);
          return true;
        },
        [&] { return stop.load(); });
    EXPECT_OK(s);
  });
  for (int i = 0; i < 500 && snapshot().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t done = RunOne();
  for (int i = 0; i < 500; ++i) {
    auto seen = snapshot();
    if (seen.size() >= 2 && seen.back().sweep().trials_succeeded() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  watcher.join();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().changed_size(), 0);
  EXPECT_EQ(events.front().sweep().trials_total(), 2500);
  std::set<int64_t> changed;
  for (size_t i = 1; i < events.size(); ++i) {
    for (const auto& t : events[i].changed()) {
      changed.insert(t.trial_id());
      EXPECT_TRUE(t.config_json().empty());
    }
  }
  EXPECT_EQ(changed, std::set<int64_t>{done}) << "only the trial that changed";
  EXPECT_EQ(events.back().sweep().trials_succeeded(), 1);
  EXPECT_EQ(events.back().trial().state(), "succeeded");
}

TEST(WatchBoundTest, WatchStreamsBeyondTheBoundAreRefusedOverGrpc) {
  TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("watch.db");
  options.listen = "127.0.0.1:0";
  options.max_watch_streams = 2;
  options.log = [](const std::string&) {};
  CoordinatorServer server(options);
  auto port = server.Start();
  ASSERT_OK(port);
  auto created = server.store()->CreateSweep(MadeUpSweep(10));
  ASSERT_OK(created);
  auto stub = v1::ClientService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(*port), grpc::InsecureChannelCredentials()));
  struct Stream {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<v1::SweepEvent>> reader;
  };
  auto open = [&](Stream& s) {
    v1::WatchSweepRequest req;
    req.set_sweep_id(created->sweep_id);
    s.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    s.reader = stub->WatchSweep(&s.ctx, req);
    v1::SweepEvent first;
    return s.reader->Read(&first);
  };
  Stream a, b, c;
  ASSERT_TRUE(open(a));
  ASSERT_TRUE(open(b));
  EXPECT_FALSE(open(c));
  grpc::Status refused = c.reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("--max-watch-streams"), std::string::npos) << refused.error_message();
  // Closing one makes room.
  a.ctx.TryCancel();
  a.reader->Finish();
  bool reopened = false;
  for (int i = 0; i < 100 && !reopened; ++i) {
    Stream d;
    reopened = open(d);
    if (reopened) {
      d.ctx.TryCancel();
      d.reader->Finish();
    } else {
      d.reader->Finish();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  EXPECT_TRUE(reopened);
  b.ctx.TryCancel();
  b.reader->Finish();
  server.Shutdown();
}

}  // namespace
}  // namespace ltsweep::coordinator
