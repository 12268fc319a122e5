// A writer process for the store's SIGKILL test (store_kill_test.cc).
//
//   ltsweep_store_writer DB ROWS HOLD_AT
//
// Opens DB, creates a one-trial sweep, registers worker "writer", leases the
// trial and prints "ready TRIAL_ID TOKEN". Then writes metric batches forever:
// batch e holds ROWS metric rows and ROWS per-class rows of epoch e, all in
// one transaction, and prints "committed e" once it is committed. When e
// reaches HOLD_AT (>= 0), the writer prints "holding e" from inside the
// transaction, just before COMMIT, and waits there to be killed. With
// HOLD_AT < 0 it never holds, so a kill lands wherever it lands.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/store.h"

namespace {

int Fail(const ltsweep::Status& status) {
  std::fprintf(stderr, "store_writer: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DB ROWS HOLD_AT\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int rows = std::atoi(argv[2]);
  const int hold_at = std::atoi(argv[3]);

  int epoch = 0;
  ltsweep::StoreOptions options;
  options.before_commit = [&epoch, hold_at]() {
    if (hold_at >= 0 && epoch == hold_at) {
      std::printf("holding %d\n", epoch);
      std::fflush(stdout);
      for (;;) pause();  // the parent kills us here, mid-transaction
    }
    return ltsweep::Status::Ok();
  };
  // Set-up commits happen at epoch -1, never held.
  epoch = -1;
  auto store = ltsweep::Store::Open(path, options);
  if (!store.ok()) return Fail(store.status());

  ltsweep::NewSweep sweep;
  sweep.name = "kill-test";
  sweep.spec_yaml = "name: kill-test\n";
  sweep.trials.push_back({"kill-test-hash", "{}"});
  auto created = (*store)->CreateSweep(sweep);
  if (!created.ok()) return Fail(created.status());
  auto worker = (*store)->RegisterWorker({"writer", "localhost", 1, {}});
  if (!worker.ok()) return Fail(worker.status());
  auto lease = (*store)->LeaseNextTrial("writer", std::chrono::hours(1));
  if (!lease.ok()) return Fail(lease.status());
  if (!lease->has_value()) return Fail(ltsweep::InternalError("nothing to lease"));
  std::printf("ready %lld %s\n", static_cast<long long>((*lease)->trial_id),
              (*lease)->token.c_str());
  std::fflush(stdout);

  for (epoch = 0;; ++epoch) {
    ltsweep::MetricBatch batch;
    for (int i = 0; i < rows; ++i) {
      batch.metrics.push_back({epoch, "m" + std::to_string(i), epoch * 1000.0 + i});
      batch.per_class.push_back({epoch, "error", i, epoch + i / 1000.0});
    }
    ltsweep::Status status = (*store)->ReportMetrics((*lease)->trial_id, (*lease)->token, batch);
    if (!status.ok()) return Fail(status);
    std::printf("committed %d\n", epoch);
    std::fflush(stdout);
  }
}
