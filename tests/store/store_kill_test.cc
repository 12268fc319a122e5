// Store: durability when the writing process is killed with SIGKILL, in the
// middle of a transaction or wherever the kill lands. The writer is a real
// process (store_writer_main.cc) on a real database file.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/testing/test_util.h"

#ifndef LTSWEEP_STORE_WRITER
#error "LTSWEEP_STORE_WRITER must name the ltsweep_store_writer binary"
#endif

namespace ltsweep::testing {
namespace {

// A child process whose stdout we read line by line; killed if still alive
// when the object dies.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }

  bool started() const { return pid_ > 0 && out_ != nullptr; }

  // The next line of the child's stdout without its newline; "" at EOF.
  std::string ReadLine() {
    char buf[512];
    if (fgets(buf, sizeof buf, out_) == nullptr) return "";
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }

  // SIGKILL, then the wait status.
  int KillAndWait() {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool reaped_ = false;
};

struct Ready {
  int64_t trial_id = 0;
  std::string token;
};

Ready ParseReady(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  Ready ready;
  in >> word >> ready.trial_id >> ready.token;
  EXPECT_EQ(word, "ready") << line;
  return ready;
}

// Rows per epoch of one attempt, for metrics and per-class metrics.
struct EpochCounts {
  std::map<int, int> metrics;
  std::map<int, int> per_class;
};

EpochCounts CountByEpoch(const TrialMetrics& m) {
  EpochCounts counts;
  for (const MetricRow& row : m.metrics) ++counts.metrics[row.epoch];
  for (const PerClassRow& row : m.per_class) ++counts.per_class[row.epoch];
  return counts;
}

// After the kill: the file is intact and accepts writes on the same lease.
void ExpectIntactAndWritable(Store* store, const Ready& ready, int next_epoch) {
  EXPECT_OK(store->CheckIntegrity());
  MetricBatch batch;
  batch.metrics.push_back({next_epoch, "m0", 1.0});
  EXPECT_OK(store->ReportMetrics(ready.trial_id, ready.token, batch));
  auto finish = store->FinishAttempt(ready.trial_id, ready.token, {});
  ASSERT_OK(finish);
  EXPECT_EQ(finish->trial_state, TrialState::kSucceeded);
  NewSweep sweep;
  sweep.name = "after";
  sweep.spec_yaml = "name: after\n";
  sweep.trials.push_back({"after-hash", "{}"});
  EXPECT_OK(store->CreateSweep(sweep));
  EXPECT_OK(store->CheckIntegrity());
}

TEST(StoreKillTest, AKillInsideATransactionLosesOnlyThatTransaction) {
  TempDir dir;
  const std::string db = dir.File("killed.db");
  const int kRows = 500;
  const int kHoldAt = 10;
  Ready ready;
  {
    Child child({LTSWEEP_STORE_WRITER, db, std::to_string(kRows), std::to_string(kHoldAt)});
    ASSERT_TRUE(child.started());
    ready = ParseReady(child.ReadLine());
    for (int e = 0; e < kHoldAt; ++e) ASSERT_EQ(child.ReadLine(), "committed " + std::to_string(e));
    ASSERT_EQ(child.ReadLine(), "holding " + std::to_string(kHoldAt));
    int status = child.KillAndWait();
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
  }

  auto store = Store::Open(db, StoreOptions());
  ASSERT_OK(store);
  EXPECT_OK((*store)->CheckIntegrity());
  auto m = (*store)->GetMetrics(ready.trial_id, 1);
  ASSERT_OK(m);
  EpochCounts counts = CountByEpoch(*m);
  ASSERT_EQ(counts.metrics.size(), static_cast<size_t>(kHoldAt));  // epoch 10 absent
  for (int e = 0; e < kHoldAt; ++e) {
    EXPECT_EQ(counts.metrics[e], kRows) << "epoch " << e;
    EXPECT_EQ(counts.per_class[e], kRows) << "epoch " << e;
  }
  EXPECT_EQ(counts.metrics.count(kHoldAt), 0u);
  EXPECT_EQ(counts.per_class.count(kHoldAt), 0u);
  // Values are the ones written: m17 of epoch 3 is 3017.
  bool found = false;
  for (const MetricRow& row : m->metrics) {
    if (row.epoch == 3 && row.name == "m17") {
      EXPECT_DOUBLE_EQ(row.value, 3017.0);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  ExpectIntactAndWritable(store->get(), ready, kHoldAt);
}

TEST(StoreKillTest, AKillAnywhereLeavesWholeBatchesOnly) {
  const int kRows = 200;
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    TempDir dir;
    const std::string db = dir.File("killed.db");
    Ready ready;
    int last_seen = -1;
    {
      Child child({LTSWEEP_STORE_WRITER, db, std::to_string(kRows), "-1"});
      ASSERT_TRUE(child.started());
      ready = ParseReady(child.ReadLine());
      const int kill_after = 20 + 7 * run;
      while (last_seen < kill_after) {
        std::string line = child.ReadLine();
        ASSERT_FALSE(line.empty()) << "the writer stopped early";
        last_seen = std::stoi(line.substr(line.find(' ') + 1));
      }
      int status = child.KillAndWait();
      ASSERT_TRUE(WIFSIGNALED(status));
    }

    auto store = Store::Open(db, StoreOptions());
    ASSERT_OK(store);
    EXPECT_OK((*store)->CheckIntegrity());
    auto m = (*store)->GetMetrics(ready.trial_id, 1);
    ASSERT_OK(m);
    EpochCounts counts = CountByEpoch(*m);
    // Every batch reported committed is there, and every batch there is whole.
    ASSERT_GE(counts.metrics.size(), static_cast<size_t>(last_seen + 1));
    int expected_epoch = 0;
    for (const auto& [epoch, n] : counts.metrics) {
      EXPECT_EQ(epoch, expected_epoch++);
      EXPECT_EQ(n, kRows) << "epoch " << epoch;
      EXPECT_EQ(counts.per_class[epoch], kRows) << "epoch " << epoch;
    }
    ExpectIntactAndWritable(store->get(), ready, expected_epoch);
  }
}

}  // namespace
}  // namespace ltsweep::testing
