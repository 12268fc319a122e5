// method: bayes in the coordinator, in-process on a real SQLite file: trials
// made at lease time by TPE (coordinator/trial_suggester.h) up to run_cap,
// distinct configs while several are pending, the same trials for the same
// seed, a small space used up, earlier results linked.
#include <cmath>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coordinator/client_handler.h"
#include "coordinator/coordinator_server.h"
#include "coordinator/trial_suggester.h"
#include "store/store.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using std::chrono::milliseconds;
using ::ltsweep::testing::TempDir;

std::string BayesSpec(int run_cap, int seed, const std::string& extra = "") {
  return "name: tpe\nmethod: bayes\nrun_cap: " + std::to_string(run_cap) + "\nseed: " + std::to_string(seed) +
         "\nconfig:\n  train: {epochs: 3}\nparameters:\n"
         "  train.lr: {distribution: log_uniform_values, min: 0.0001, max: 1.0}\n"
         "  method.loss: {values: [ce, ldam, focal]}\n" +
         extra;
}

// Lowest at lr = 0.01 with ldam.
double Objective(const std::string& config_json) {
  const auto c = nlohmann::json::parse(config_json);
  const double lr = c["train"]["lr"].get<double>();
  const std::string loss = c["method"]["loss"].get<std::string>();
  return std::fabs(std::log10(lr) + 2.0) + (loss == "ldam" ? 0.0 : 0.3);
}

class BayesTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(dir_.File("sweeps.db")); }

  void Open(const std::string& path) {
    clients_.reset();
    store_.reset();
    options_ = CoordinatorOptions();
    options_.db_path = path;
    options_.log = [](const std::string&) {};
    ASSERT_OK(options_.Resolve());
    StoreOptions so = StoreOptionsFor(options_);
    so.token_seed = 1;
    auto store = Store::Open(options_.db_path, so);
    ASSERT_OK(store);
    store_ = std::move(store).value();
    clients_ = std::make_unique<ClientHandler>(*store_, options_);
    auto worker = store_->RegisterWorker({"w1", "host", 4, {}});
    ASSERT_OK(worker);
  }

  StatusOr<v1::SubmitSweepResponse> Submit(const std::string& yaml) {
    v1::SubmitSweepRequest req;
    req.set_spec_yaml(yaml);
    req.set_source_name("bayes.yaml");
    v1::SubmitSweepResponse resp;
    LTSWEEP_RETURN_IF_ERROR(clients_->SubmitSweep(req, &resp));
    return resp;
  }

  std::optional<Lease> LeaseOne() {
    auto lease = store_->LeaseNextTrial("w1", milliseconds(30'000));
    EXPECT_OK(lease);
    return lease.ok() ? *lease : std::nullopt;
  }

  void Finish(const Lease& lease) {
    FinishRequest done;
    done.best_metric = done.last_metric = Objective(lease.config_json);
    done.best_epoch = 2;
    EXPECT_OK(store_->FinishAttempt(lease.trial_id, lease.token, done));
  }

  // Leases and finishes trials one at a time until none is left; the config
  // hashes in order.
  std::vector<std::string> RunSequentially() {
    std::vector<std::string> hashes;
    while (std::optional<Lease> lease = LeaseOne()) {
      hashes.push_back(lease->config_hash);
      Finish(*lease);
      if (hashes.size() > 100) break;
    }
    return hashes;
  }

  int Events(const std::string& kind) {
    EventFilter filter;
    filter.limit = 10'000;
    auto events = store_->ListEvents(filter);
    EXPECT_OK(events);
    int n = 0;
    for (const auto& e : *events) n += e.kind == kind;
    return n;
  }

  TempDir dir_;
  CoordinatorOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ClientHandler> clients_;
};

TEST_F(BayesTest, SubmitMakesNoTrialsAndLeasesMakeExactlyRunCap) {
  auto submitted = Submit(BayesSpec(8, 1));
  ASSERT_OK(submitted);
  EXPECT_EQ(submitted->trials_total(), 0);
  EXPECT_EQ(submitted->run_cap(), 8);
  auto before = store_->GetSweep(submitted->sweep_id());
  ASSERT_OK(before);
  EXPECT_EQ(before->sweep.state, SweepState::kPending);
  EXPECT_EQ(before->sweep.run_cap, std::optional<int64_t>(8));

  const std::vector<std::string> hashes = RunSequentially();
  EXPECT_EQ(hashes.size(), 8u);
  EXPECT_EQ(std::set<std::string>(hashes.begin(), hashes.end()).size(), 8u) << "a config ran twice";
  auto after = store_->GetSweep(submitted->sweep_id());
  ASSERT_OK(after);
  EXPECT_EQ(after->sweep.state, SweepState::kDone);
  EXPECT_EQ(after->sweep.n_trials, 8);
  EXPECT_EQ(after->counts.succeeded, 8);
  EXPECT_EQ(Events("trial_suggested"), 8);
}

TEST_F(BayesTest, WorkersAskingAtOnceGetDistinctConfigsAndNoMoreThanRunCap) {
  auto submitted = Submit(BayesSpec(6, 2));
  ASSERT_OK(submitted);
  // Past the start-up trials: three finished, then six asks at once.
  std::vector<Lease> held;
  for (int i = 0; i < 3; ++i) {
    std::optional<Lease> l = LeaseOne();
    ASSERT_TRUE(l);
    Finish(*l);
    held.push_back(*l);
  }
  std::vector<Lease> pending;
  while (std::optional<Lease> l = LeaseOne()) pending.push_back(*l);
  EXPECT_EQ(pending.size(), 3u) << "run_cap 6 with 3 finished leaves 3";
  std::set<std::string> hashes;
  for (const auto& l : held) hashes.insert(l.config_hash);
  for (const auto& l : pending) hashes.insert(l.config_hash);
  EXPECT_EQ(hashes.size(), 6u);
  auto sweep = store_->GetSweep(submitted->sweep_id());
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kRunning);
  for (const auto& l : pending) Finish(l);
  sweep = store_->GetSweep(submitted->sweep_id());
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
}

TEST_F(BayesTest, SameSeedAndOneWorkerGiveTheSameTrials) {
  ASSERT_OK(Submit(BayesSpec(12, 5)));
  const std::vector<std::string> first = RunSequentially();
  Open(dir_.File("again.db"));
  ASSERT_OK(Submit(BayesSpec(12, 5)));
  const std::vector<std::string> again = RunSequentially();
  Open(dir_.File("other-seed.db"));
  ASSERT_OK(Submit(BayesSpec(12, 6)));
  const std::vector<std::string> other = RunSequentially();
  ASSERT_EQ(first.size(), 12u);
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
}

TEST_F(BayesTest, ASmallSpaceIsUsedUpAndTheSweepEnds) {
  const std::string yaml =
      "method: bayes\nrun_cap: 10\nconfig:\n  train: {epochs: 3}\nparameters:\n"
      "  method.loss: {values: [ce, ldam, focal]}\n";
  auto submitted = Submit(yaml);
  ASSERT_OK(submitted);
  EXPECT_EQ(RunSequentially().size(), 3u);
  auto sweep = store_->GetSweep(submitted->sweep_id());
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
  EXPECT_EQ(sweep->sweep.n_trials, 3);
  EXPECT_EQ(Events("search_exhausted"), 1);
}

TEST_F(BayesTest, ConfigsThatAlreadySucceededAreLinkedNotRun) {
  ASSERT_OK(Submit(BayesSpec(5, 9)));
  ASSERT_EQ(RunSequentially().size(), 5u);
  // The same spec again: the same suggestions, each linked to its result.
  auto second = Submit(BayesSpec(5, 9));
  ASSERT_OK(second);
  EXPECT_FALSE(LeaseOne().has_value());
  auto sweep = store_->GetSweep(second->sweep_id());
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->counts.linked, 5);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
}

TEST_F(BayesTest, FailedTrialsAreBadObservationsAndNeverSuggestedAgain) {
  SearchTrial failed;
  failed.state = TrialState::kFailed;
  failed.best_metric = 0.1;
  EXPECT_TRUE(ObservationOf(failed).pending);
  SearchTrial done;
  done.state = TrialState::kSucceeded;
  done.best_metric = 0.2;
  done.last_metric = 0.3;
  EXPECT_FALSE(ObservationOf(done).pending);
  EXPECT_EQ(ObservationOf(done).value, 0.2);
}

TEST_F(BayesTest, AStoreWithoutASuggesterRefusesABayesSweep) {
  StoreOptions plain;
  auto store = Store::Open(dir_.File("plain.db"), plain);
  ASSERT_OK(store);
  NewSweep sweep;
  sweep.name = "b";
  sweep.spec_yaml = BayesSpec(3, 0);
  sweep.search = NewSweep::Search{"bayes", 0, 3};
  auto created = (*store)->CreateSweep(sweep);
  EXPECT_EQ(created.status().code(), StatusCode::kFailedPrecondition) << created.status().ToString();
}

}  // namespace
}  // namespace ltsweep::coordinator
