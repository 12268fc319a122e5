// store_bench: how fast the results store writes, on a temporary file.
//
//   store_bench [--dir DIR] [--quick]
//
// Prints, for the store as the coordinator uses it (WAL, synchronous=NORMAL,
// one transaction per call):
//   - single-row commits/s: ReportMetrics with one metric row per call;
//   - rows/s in batches of 100 and of 1,000 rows (metric + per-class rows);
//   - trial cycles/s: lease, 5 batches of 10 rows, finish (one thread);
//   - lease latency p50/p99 for that cycle;
//   - trial cycles/s from 8 and 64 threads at once, with group commit off
//     (one transaction per call) and on (up to 64 calls per transaction).
// Figures, not assertions: they depend on the disk and the machine.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using ltsweep::Store;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void Die(const ltsweep::Status& status) {
  std::fprintf(stderr, "store_bench: %s\n", status.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(ltsweep::StatusOr<T> v) {
  if (!v.ok()) Die(v.status());
  return std::move(v).value();
}

void Must(const ltsweep::Status& s) {
  if (!s.ok()) Die(s);
}

ltsweep::NewSweep MakeSweep(const std::string& name, int n) {
  ltsweep::NewSweep sweep;
  sweep.name = name;
  sweep.spec_yaml = "name: " + name + "\n";
  for (int i = 0; i < n; ++i) {
    sweep.trials.push_back({name + "-" + std::to_string(i),
                            "{\"train\":{\"seed\":" + std::to_string(i) + "}}"});
  }
  return sweep;
}

ltsweep::MetricBatch Batch(int epoch_base, int rows) {
  ltsweep::MetricBatch batch;
  // Half scalar rows, half per-class rows, like a trainer's epoch lines.
  for (int i = 0; i < rows; ++i) {
    int epoch = epoch_base + i / 10;
    if (i % 2 == 0) {
      batch.metrics.push_back({epoch, "metric_" + std::to_string(i % 10), 0.001 * i});
    } else {
      batch.per_class.push_back({epoch, "error", i % 10, 0.001 * i});
    }
  }
  return batch;
}

// Rows per second for `calls` ReportMetrics calls of `rows` rows each.
void BenchBatches(Store* store, const ltsweep::Lease& lease, int calls, int rows,
                  int* epoch_base) {
  auto start = Clock::now();
  for (int c = 0; c < calls; ++c) {
    Must(store->ReportMetrics(lease.trial_id, lease.token, Batch(*epoch_base, rows)));
    *epoch_base += std::max(1, rows / 10);
  }
  double s = Seconds(start);
  std::printf("  batches of %5d rows: %8.0f commits/s  %10.0f rows/s  (%d commits, %.2f s)\n",
              rows, calls / s, calls * static_cast<double>(rows) / s, calls, s);
}

// Whole trial cycles from `threads` threads at once (as the coordinator's
// gRPC threads call the store), on a fresh file, with group commit limited
// to `max_group` calls per transaction (1: off).
void BenchConcurrentCycles(const std::string& path, int threads, int max_group, int trials) {
  ltsweep::StoreOptions options;
  options.max_group_size = max_group;
  auto store = Must(Store::Open(path, options));
  Must(store->RegisterWorker({"bench", "localhost", 64, {}}));
  Must(store->CreateSweep(MakeSweep("concurrent", trials)));
  const ltsweep::StoreStats before = store->stats();
  std::atomic<int64_t> done{0};
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&store, &done] {
      for (;;) {
        auto l = Must(store->LeaseNextTrial("bench", std::chrono::seconds(30)));
        if (!l) return;
        for (int e = 0; e < 5; ++e) Must(store->ReportMetrics(l->trial_id, l->token, Batch(e, 10)));
        Must(store->FinishAttempt(l->trial_id, l->token, {}));
        ++done;
      }
    });
  }
  for (auto& thread : pool) thread.join();
  double s = Seconds(start);
  const ltsweep::StoreStats after = store->stats();
  const double ops = static_cast<double>(after.write_operations - before.write_operations);
  const double txns = static_cast<double>(after.write_transactions - before.write_transactions);
  std::printf("  %3d threads, max group %3d: %6.0f trials/s, %8.0f rows/s, %5.1f calls per "
              "transaction (largest %lld)\n",
              threads, max_group, static_cast<double>(done.load()) / s,
              static_cast<double>(done.load()) * 50.0 / s, ops / std::max(1.0, txns),
              static_cast<long long>(after.largest_group));
  if (done.load() != trials) Die(ltsweep::InternalError("not every trial finished"));
  Must(store->CheckIntegrity());
}

void RemoveDb(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--quick") {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--quick]\n", argv[0]);
      return 2;
    }
  }
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = tmp ? tmp : "/tmp";
  }
  const std::string path =
      (std::filesystem::path(dir) / ("store_bench-" + std::to_string(getpid()) + ".db")).string();
  const int scale = quick ? 10 : 1;

  {
    auto store = Must(Store::Open(path, ltsweep::StoreOptions()));
    Must(store->RegisterWorker({"bench", "localhost", 64, {}}));
    Must(store->CreateSweep(MakeSweep("rows", 1)));
    auto lease = Must(store->LeaseNextTrial("bench", std::chrono::hours(1)));
    std::printf("store_bench on %s (WAL, synchronous=NORMAL)\n", path.c_str());
    int epoch = 0;
    BenchBatches(store.get(), *lease, 5000 / scale, 1, &epoch);
    BenchBatches(store.get(), *lease, 1000 / scale, 100, &epoch);
    BenchBatches(store.get(), *lease, 200 / scale, 1000, &epoch);

    // Whole trial cycles, as a fake worker would run them.
    const int trials = 2000 / scale;
    Must(store->CreateSweep(MakeSweep("cycle", trials)));
    std::vector<double> lease_ms;
    lease_ms.reserve(trials);
    double report_s = 0, finish_s = 0;
    auto start = Clock::now();
    for (int t = 0; t < trials; ++t) {
      auto t0 = Clock::now();
      auto l = Must(store->LeaseNextTrial("bench", std::chrono::seconds(30)));
      lease_ms.push_back(Seconds(t0) * 1000);
      if (!l) Die(ltsweep::InternalError("ran out of trials"));
      auto t1 = Clock::now();
      for (int e = 0; e < 5; ++e) Must(store->ReportMetrics(l->trial_id, l->token, Batch(e, 10)));
      report_s += Seconds(t1);
      auto t2 = Clock::now();
      Must(store->FinishAttempt(l->trial_id, l->token, {}));
      finish_s += Seconds(t2);
    }
    double s = Seconds(start);
    double lease_total_ms = 0;
    for (double ms : lease_ms) lease_total_ms += ms;
    std::sort(lease_ms.begin(), lease_ms.end());
    std::printf("  trial cycles (lease + 5 x 10 rows + finish): %.0f trials/s, %.0f rows/s "
                "(%d trials, %.2f s)\n",
                trials / s, trials * 50.0 / s, trials, s);
    std::printf("  mean per call: lease %.3f ms, report (10 rows) %.3f ms, finish %.3f ms\n",
                lease_total_ms / trials, report_s * 1000 / (5.0 * trials),
                finish_s * 1000 / trials);
    std::printf("  lease latency: p50 %.3f ms, p99 %.3f ms\n", lease_ms[lease_ms.size() / 2],
                lease_ms[lease_ms.size() * 99 / 100]);
    Must(store->CheckIntegrity());
  }
  RemoveDb(path);

  std::printf("  concurrent trial cycles (lease + 5 x 10 rows + finish per trial):\n");
  for (int threads : {8, 64}) {
    for (int max_group : {1, 64}) {
      BenchConcurrentCycles(path, threads, max_group, 2000 / scale);
      RemoveDb(path);
    }
  }
  return 0;
}
