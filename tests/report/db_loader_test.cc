// The loader and the aggregation on a real results database written by the
// real store (store/store.h): sweeps, leases, attempts, metric batches.
#include "report/db_loader.h"

#include <chrono>
#include <cmath>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/config_hash.h"
#include "report/aggregate.h"
#include "report/html_report.h"
#include "store/store.h"
#include "tests/testing/test_util.h"

namespace ltsweep::report {
namespace {

using ltsweep::testing::TempDir;
using namespace std::chrono_literals;

struct TrialPlan {
  std::string loss;
  int seed;
  std::vector<double> val_error;  // one per epoch
};

nlohmann::json Config(const std::string& loss, int seed) {
  return {{"method", {{"loss", loss}}}, {"train", {{"seed", seed}, {"epochs", 3}}}};
}

// Runs every trial of a new sweep through the store as a worker would.
class DbLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.clock = &clock_;
    options.token_seed = 1;
    auto store = Store::Open(dir_.File("results.db"), options);
    ASSERT_OK(store);
    store_ = std::move(store).value();
    auto worker = store_->RegisterWorker({"w1", "host", 1, {}});
    ASSERT_OK(worker);
  }

  int64_t CreateSweep(const std::vector<TrialPlan>& plans) {
    NewSweep sweep;
    sweep.name = "table2";
    sweep.spec_yaml = "name: table2\n";
    for (const TrialPlan& p : plans) {
      const nlohmann::json c = Config(p.loss, p.seed);
      sweep.trials.push_back({ResolvedConfigHash(c), c.dump()});
    }
    auto created = store_->CreateSweep(sweep);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created->sweep_id;
  }

  // Leases the next trial and reports `val_error` for epochs [first, ...).
  void RunAttempt(const std::vector<double>& val_error, int first_epoch, AttemptOutcome outcome,
                  const std::string& error = "") {
    auto lease = store_->LeaseNextTrial("w1", 30s);
    ASSERT_OK(lease);
    ASSERT_TRUE(lease->has_value());
    const Lease& l = **lease;
    MetricBatch batch;
    batch.payloads.push_back({-1, "start", R"({"event":"start","class_counts":[500,150,50,10]})"});
    for (size_t i = 0; i < val_error.size(); ++i) {
      const int epoch = first_epoch + static_cast<int>(i);
      batch.metrics.push_back({epoch, "val_error", val_error[i]});
      batch.metrics.push_back({epoch, "train_loss", 1.0 / (epoch + 1)});
      batch.metrics.push_back({epoch, "lr", 0.1});
      const std::vector<double> per_class = {0.1, 0.2, 0.4, 0.8};
      for (size_t c = 0; c < per_class.size(); ++c) {
        batch.per_class.push_back({epoch, "error", static_cast<int>(c), per_class[c] + 0.01 * epoch});
      }
      batch.payloads.push_back({epoch, "confusion", "[[" + std::to_string(epoch) + ",1],[2,3]]"});
    }
    ASSERT_OK(store_->ReportMetrics(l.trial_id, l.token, batch));
    FinishRequest finish;
    finish.outcome = outcome;
    finish.exit_code = outcome == AttemptOutcome::kSucceeded ? 0 : 1;
    finish.error = error;
    ASSERT_OK(store_->FinishAttempt(l.trial_id, l.token, finish));
  }

  std::unique_ptr<ReadOnlyDb> OpenReadOnly() {
    auto db = ReadOnlyDb::Open(dir_.File("results.db"));
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  FakeClock clock_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(DbLoaderTest, AggregatesAHandBuiltSweep) {
  const std::vector<TrialPlan> plans = {{"ce", 0, {0.5, 0.30, 0.31}},
                                        {"ce", 1, {0.5, 0.34, 0.35}},
                                        {"ldam", 0, {0.4, 0.25, 0.28}},
                                        {"ldam", 1, {0.4, 0.27, 0.26}}};
  const int64_t sweep_id = CreateSweep(plans);
  for (const TrialPlan& p : plans) RunAttempt(p.val_error, 0, AttemptOutcome::kSucceeded);

  auto db = OpenReadOnly();
  ASSERT_NE(db, nullptr);
  auto sweep = LoadSweep(*db, sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->name, "table2");
  EXPECT_EQ(sweep->metric, "val_error");
  EXPECT_EQ(sweep->goal, "minimize");
  ASSERT_EQ(sweep->trials.size(), 4u);
  const TrialRecord& t0 = sweep->trials[0];
  EXPECT_EQ(t0.status, "succeeded");
  EXPECT_EQ(t0.attempts, 1);
  EXPECT_EQ(t0.config["method"]["loss"], "ce");
  ASSERT_EQ(t0.scalar_series.at("val_error").size(), 3u);
  EXPECT_DOUBLE_EQ(t0.scalar_series.at("val_error")[1].second, 0.30);
  EXPECT_EQ(t0.class_counts, (std::vector<int64_t>{500, 150, 50, 10}));
  EXPECT_EQ(t0.per_class.at("per_class_error").at(2).size(), 4u);
  EXPECT_EQ(t0.confusion, nlohmann::json::parse("[[2,1],[2,3]]"));  // the last epoch's
  ASSERT_EQ(t0.attempt_history.size(), 1u);
  EXPECT_EQ(t0.attempt_history[0].state, "succeeded");

  ResultsOptions mean;  // best epoch, mean ± std over seeds
  auto table = AggregateResults(sweep->trials, mean);
  ASSERT_OK(table);
  ASSERT_EQ(table->key_columns, std::vector<std::string>{"method.loss"});
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_NEAR(*table->rows[0].cells[0].value, 32.0, 1e-9);
  EXPECT_NEAR(*table->rows[0].cells[0].std, std::sqrt(8.0), 1e-9);
  EXPECT_NEAR(*table->rows[1].cells[0].value, 25.5, 1e-9);  // 25 and 26 (ldam seed 1 best at epoch 2)

  ResultsOptions last;
  last.agg = AggMode::kLast;
  table = AggregateResults(sweep->trials, last);
  ASSERT_OK(table);
  EXPECT_NEAR(*table->rows[0].cells[0].value, 33.0, 1e-9);
  EXPECT_NEAR(*table->rows[1].cells[0].value, 27.0, 1e-9);

  ResultsOptions best;
  best.agg = AggMode::kBest;
  best.columns = ExtraColumns::kShot;
  table = AggregateResults(sweep->trials, best);
  ASSERT_OK(table);
  EXPECT_EQ(table->rows[1].trial_ids, std::vector<int64_t>{sweep->trials[2].trial_id});
  // Shot errors at the best epoch (1): many (0.11 + 0.21) / 2, medium 0.41, few 0.81.
  EXPECT_NEAR(*table->rows[1].cells[1].value, 16.0, 1e-9);
  EXPECT_NEAR(*table->rows[1].cells[2].value, 41.0, 1e-9);
  EXPECT_NEAR(*table->rows[1].cells[3].value, 81.0, 1e-9);

  auto html = RenderHtmlReport(*sweep, ReportOptions());
  ASSERT_OK(html);
  EXPECT_NE(html->find("Best trial: " + std::to_string(sweep->trials[2].trial_id)), std::string::npos);
}

TEST_F(DbLoaderTest, ResumedAttemptsMergeAndFailuresKeepTheirError) {
  const int64_t sweep_id = CreateSweep({{"ce", 0, {}}, {"focal", 0, {}}});
  // Trial 1: interrupted after epochs 0-1, resumed from epoch 1 to 2.
  RunAttempt({0.6, 0.5}, 0, AttemptOutcome::kInterrupted, "interrupted");
  // The store leases by ordinal, so the requeued trial 1 runs again first.
  RunAttempt({0.45, 0.40}, 1, AttemptOutcome::kSucceeded);
  RunAttempt({0.9}, 0, AttemptOutcome::kFailedPermanent, "invalid config: method.focal_gamma");

  auto db = OpenReadOnly();
  ASSERT_NE(db, nullptr);
  auto sweep = LoadSweep(*db, sweep_id);
  ASSERT_OK(sweep);
  const TrialRecord& resumed = sweep->trials[0];
  EXPECT_EQ(resumed.status, "succeeded");
  EXPECT_EQ(resumed.attempts, 2);
  ASSERT_EQ(resumed.attempt_history.size(), 2u);
  EXPECT_EQ(resumed.attempt_history[0].state, "interrupted");
  const Series& s = resumed.scalar_series.at("val_error");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[0].second, 0.6);   // from attempt 1
  EXPECT_DOUBLE_EQ(s[1].second, 0.45);  // attempt 2 replaced it
  EXPECT_DOUBLE_EQ(s[2].second, 0.40);

  const TrialRecord& failed = sweep->trials[1];
  EXPECT_EQ(failed.status, "failed");
  EXPECT_NE(failed.error.find("method.focal_gamma"), std::string::npos);

  auto one = LoadTrial(*db, failed.trial_id);
  ASSERT_OK(one);
  EXPECT_EQ(one->status, "failed");
  auto latest = LatestSweepId(*db);
  ASSERT_OK(latest);
  EXPECT_EQ(*latest, sweep_id);
}

TEST_F(DbLoaderTest, LinkedTrialReadsItsSourceMetrics) {
  CreateSweep({{"ce", 0, {}}});
  RunAttempt({0.5, 0.3}, 0, AttemptOutcome::kSucceeded);
  const int64_t second = CreateSweep({{"ce", 0, {}}});  // same config: linked

  auto db = OpenReadOnly();
  ASSERT_NE(db, nullptr);
  auto sweep = LoadSweep(*db, second);
  ASSERT_OK(sweep);
  ASSERT_EQ(sweep->trials.size(), 1u);
  EXPECT_EQ(sweep->trials[0].status, "linked");
  ASSERT_EQ(sweep->trials[0].scalar_series.count("val_error"), 1u);
  auto best = FindBestTrial(sweep->trials, ResultsOptions());
  ASSERT_OK(best);
}

TEST_F(DbLoaderTest, UnknownIdsAreNotFound) {
  auto db = OpenReadOnly();
  ASSERT_NE(db, nullptr);
  auto sweep = LoadSweep(*db, 42);
  ASSERT_FALSE(sweep.ok());
  EXPECT_EQ(sweep.status().code(), StatusCode::kNotFound);
  EXPECT_NE(sweep.status().message().find("42"), std::string::npos);
  EXPECT_EQ(LoadTrial(*db, 42).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LatestSweepId(*db).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ltsweep::report
