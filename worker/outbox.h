// Outbox: the worker's bounded on-disk buffer of metric batches the
// coordinator has not acknowledged yet.
//
// While the coordinator is unreachable the trainer keeps running; its batches
// are written here (one file per batch, in order) and re-sent after the
// worker reconnects. The buffer is bounded by bytes: past the bound the
// oldest batches are dropped, so a long outage cannot fill the disk. Batches
// left by a previous run of the worker are loaded by Load().
//
// Every drop is logged (one line naming the trial and why) and counted by
// reason (drops()): over the bound, the lease gone, a file left by a crash
// that cannot be read back.
//
// Ownership: owns its folder's *.batch files. Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/worker_service.pb.h"

namespace ltsweep::worker {

struct OutboxOptions {
  std::string dir;                         // required; created when absent
  uint64_t max_bytes = 64ull << 20;        // 64 MiB
};

// Batches the outbox dropped, by reason.
struct OutboxDrops {
  uint64_t over_bound = 0;  // oldest batches dropped past max_bytes
  uint64_t lease_gone = 0;  // batches of a lease the coordinator no longer holds
  uint64_t unreadable = 0;  // torn files left by a crash, found by Load()
};

class Outbox {
 public:
  // `log` receives one line per drop; empty: drops are only counted.
  explicit Outbox(OutboxOptions options, std::function<void(const std::string&)> log = nullptr)
      : options_(std::move(options)), log_(std::move(log)) {}

  // Creates the folder and loads batches left there by an earlier run.
  Status Load();

  // Appends a batch (to disk first). Drops the oldest batches while the total
  // exceeds max_bytes.
  Status Push(const v1::ReportMetricsRequest& batch);

  // The oldest batch of the lease (trial id + token), if any.
  std::optional<v1::ReportMetricsRequest> Front(int64_t trial_id, const std::string& token);
  // Removes the oldest batch of the lease (after the coordinator took it).
  void Pop(int64_t trial_id, const std::string& token);
  // Removes every batch of the lease (the lease is gone, or the coordinator
  // refused its finish); logs `why` when there was any.
  void Drop(int64_t trial_id, const std::string& token, const std::string& why = "lease gone");

  bool Empty(int64_t trial_id, const std::string& token);
  // Leases with batches waiting (e.g. left by an earlier run).
  std::vector<v1::LeaseRef> Leases();
  uint64_t bytes();
  // Batches waiting, over every lease.
  size_t batch_count();
  // Batches dropped past the bound (drops().over_bound).
  uint64_t dropped_batches();
  OutboxDrops drops();

 private:
  struct Entry {
    uint64_t seq;
    std::string path;
    uint64_t size;
    v1::ReportMetricsRequest batch;
  };
  using Key = std::pair<int64_t, std::string>;
  void RemoveLocked(std::map<uint64_t, Entry>::iterator it);

  OutboxOptions options_;
  const std::function<void(const std::string&)> log_;
  std::mutex mu_;
  std::map<uint64_t, Entry> entries_;  // GUARDED_BY(mu_), by seq (oldest first)
  uint64_t next_seq_ = 1;              // GUARDED_BY(mu_)
  uint64_t bytes_ = 0;                 // GUARDED_BY(mu_)
  OutboxDrops drops_;                  // GUARDED_BY(mu_)
};

}  // namespace ltsweep::worker
