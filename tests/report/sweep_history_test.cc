// The store's read path for results (Store::GetSweepHistory /
// GetTrialHistory, opened read-only as the CLI does) and the aggregation on
// a real results database written by the real store: sweeps, leases,
// attempts, metric batches.
#include <chrono>
#include <cmath>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/config_hash.h"
#include "report/aggregate.h"
#include "report/html_report.h"
#include "report/trial_fields.h"
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
class SweepHistoryTest : public ::testing::Test {
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

  std::unique_ptr<Store> OpenReadOnly() {
    StoreOptions options;
    options.read_only = true;
    auto db = Store::Open(dir_.File("results.db"), options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  FakeClock clock_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SweepHistoryTest, AggregatesAHandBuiltSweep) {
  const std::vector<TrialPlan> plans = {{"ce", 0, {0.5, 0.30, 0.31}},
                                        {"ce", 1, {0.5, 0.34, 0.35}},
                                        {"ldam", 0, {0.4, 0.25, 0.28}},
                                        {"ldam", 1, {0.4, 0.27, 0.26}}};
  const int64_t sweep_id = CreateSweep(plans);
  for (const TrialPlan& p : plans) RunAttempt(p.val_error, 0, AttemptOutcome::kSucceeded);

  auto db = OpenReadOnly();
  ASSERT_NE(db, nullptr);
  auto sweep = db->GetSweepHistory(sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.name, "table2");
  EXPECT_EQ(sweep->sweep.metric_name, "val_error");
  EXPECT_EQ(sweep->sweep.metric_goal, "minimize");
  ASSERT_EQ(sweep->trials.size(), 4u);
  const TrialHistory& t0 = sweep->trials[0];
  EXPECT_EQ(t0.trial.state, TrialState::kSucceeded);
  EXPECT_EQ(t0.trial.attempts, 1);
  EXPECT_EQ(TrialConfig(t0)["method"]["loss"], "ce");
  ASSERT_EQ(t0.metrics.scalars.at("val_error").size(), 3u);
  EXPECT_DOUBLE_EQ(t0.metrics.scalars.at("val_error")[1].second, 0.30);
  EXPECT_EQ(ReadClassInfo(t0).counts, (std::vector<int64_t>{500, 150, 50, 10}));
  EXPECT_EQ(t0.metrics.per_class.at(kPerClassError).at(2).size(), 4u);
  EXPECT_EQ(LatestPayload(t0, "confusion"), nlohmann::json::parse("[[2,1],[2,3]]"));  // the last epoch's
  ASSERT_EQ(t0.attempts.size(), 1u);
  EXPECT_EQ(t0.attempts[0].state, AttemptState::kSucceeded);

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
  EXPECT_EQ(table->rows[1].trial_ids, std::vector<int64_t>{sweep->trials[2].trial.id});
  // Shot errors at the best epoch (1): many (0.11 + 0.21) / 2, medium 0.41, few 0.81.
  EXPECT_NEAR(*table->rows[1].cells[1].value, 16.0, 1e-9);
  EXPECT_NEAR(*table->rows[1].cells[2].value, 41.0, 1e-9);
  EXPECT_NEAR(*table->rows[1].cells[3].value, 81.0, 1e-9);

  auto html = RenderHtmlReport(*sweep, ReportOptions());
  ASSERT_OK(html);
  EXPECT_NE(html->find("Best trial: " + std::to_string(sweep->trials[2].trial.id)), std::string::npos);
}

TEST_F(SweepHistoryTest, ResumedAttemptsMergeAndFailuresKeepTheirError) {
  const int64_t sweep_id = CreateSweep({{"ce", 0, {}}, {"focal", 0, {}}});
  // Trial 1: interrupted after epochs 0-1, resumed from epoch 1 to 2.
  RunAttempt({0.6, 0.5}, 0, AttemptOutcome::kInterrupted, "interrupted");
  // The store leases by ordinal, so the requeued trial 1 runs again first.
  RunAttempt({0.45, 0.40}, 1, AttemptOutcome::kSucceeded);
  RunAttempt({0.9}, 0, AttemptOutcome::kFailedPermanent, "invalid config: method.focal_gamma");

  auto db = OpenReadOnly();
  ASSERT_NE(db, nullptr);
  auto sweep = db->GetSweepHistory(sweep_id);
  ASSERT_OK(sweep);
  const TrialHistory& resumed = sweep->trials[0];
  EXPECT_EQ(resumed.trial.state, TrialState::kSucceeded);
  EXPECT_EQ(resumed.trial.attempts, 2);
  ASSERT_EQ(resumed.attempts.size(), 2u);
  EXPECT_EQ(resumed.attempts[0].state, AttemptState::kInterrupted);
  const Series& s = resumed.metrics.scalars.at("val_error");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[0].second, 0.6);   // from attempt 1
  EXPECT_DOUBLE_EQ(s[1].second, 0.45);  // attempt 2 replaced it
  EXPECT_DOUBLE_EQ(s[2].second, 0.40);

  const TrialHistory& failed = sweep->trials[1];
  EXPECT_EQ(failed.trial.state, TrialState::kFailed);
  EXPECT_NE(failed.trial.error.find("method.focal_gamma"), std::string::npos);

  auto one = db->GetTrialHistory(failed.trial.id);
  ASSERT_OK(one);
  EXPECT_EQ(one->trial.state, TrialState::kFailed);
  auto latest = db->ListSweeps(1);
  ASSERT_OK(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ(latest->front().sweep.id, sweep_id);
}

TEST_F(SweepHistoryTest, LinkedTrialReadsItsSourceMetrics) {
  CreateSweep({{"ce", 0, {}}});
  RunAttempt({0.5, 0.3}, 0, AttemptOutcome::kSucceeded);
  const int64_t second = CreateSweep({{"ce", 0, {}}});  // same config: linked

  auto db = OpenReadOnly();
  ASSERT_NE(db, nullptr);
  auto sweep = db->GetSweepHistory(second);
  ASSERT_OK(sweep);
  ASSERT_EQ(sweep->trials.size(), 1u);
  EXPECT_EQ(sweep->trials[0].trial.state, TrialState::kLinked);
  EXPECT_NE(sweep->trials[0].metrics.source_trial_id, sweep->trials[0].trial.id);
  ASSERT_EQ(sweep->trials[0].metrics.scalars.count("val_error"), 1u);
  auto best = FindBestTrial(sweep->trials, ResultsOptions());
  ASSERT_OK(best);
}

TEST_F(SweepHistoryTest, UnknownIdsAreNotFound) {
  auto db = OpenReadOnly();
  ASSERT_NE(db, nullptr);
  auto sweep = db->GetSweepHistory(42);
  ASSERT_FALSE(sweep.ok());
  EXPECT_EQ(sweep.status().code(), StatusCode::kNotFound);
  EXPECT_NE(sweep.status().message().find("unknown sweep 42"), std::string::npos);
  EXPECT_EQ(db->GetTrialHistory(42).status().code(), StatusCode::kNotFound);
  auto none = db->ListSweeps(1);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace ltsweep::report
