// CoordinatorOptions: every setting of the coordinator daemon
// (`ltsweep coordinator`), with its default. Resolve() fills the derived
// defaults and checks the values once.
//
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace ltsweep::coordinator {

// Receives one line per state change (sweep submitted, trial leased,
// finished, retried, failed, worker joined, worker lost, ...).
using LogFn = std::function<void(const std::string&)>;

// Writes "<UTC time> coordinator: <line>" to stderr.
void LogToStderr(const std::string& line);

struct CoordinatorOptions {
  // The SQLite database (created when absent). Required.
  std::string db_path;
  // gRPC listen address; port 0 picks a free port (CoordinatorServer::Start
  // returns it).
  std::string listen = "0.0.0.0:50051";
  // A lease not renewed within this long goes back to the queue.
  std::chrono::milliseconds lease_ttl{30'000};
  // How often workers are asked to heartbeat.
  std::chrono::milliseconds heartbeat_interval{5'000};
  // How often the scheduler looks for expired leases and lost workers.
  // 0: min(1 s, lease_ttl / 4).
  std::chrono::milliseconds scan_interval{0};
  // A worker silent for this long is logged as lost. 0: lease_ttl.
  std::chrono::milliseconds worker_lost_after{0};
  // What an idle slot is told: ask again after this long.
  std::chrono::milliseconds idle_retry{1'000};
  // How often WatchSweep looks for new events.
  std::chrono::milliseconds watch_poll{200};
  // Largest gRPC message accepted or sent; larger ones are refused with
  // RESOURCE_EXHAUSTED.
  int max_message_bytes = 16 << 20;
  // Borrowed; nullptr: SystemClock::Default(). Also the store's clock.
  Clock* clock = nullptr;
  // Borrowed; a monotonic clock. The coordinator's "now" is `clock` read at
  // start plus the time this clock counted since (coordinator/run_clock.h),
  // so a step of the wall clock never expires leases. nullptr: the real
  // steady clock when `clock` is nullptr too; when only `clock` is given
  // (tests with a FakeClock), `clock` is used as it is.
  Clock* steady_clock = nullptr;
  // Quarantine: a worker whose last quarantine_after attempts in a row
  // failed for reasons that count against it (crash, retry elsewhere,
  // worker fault, lost lease) gets no lease for quarantine_cooldown,
  // doubled for each further quarantine before its next success. 0: off.
  int quarantine_after = 3;
  std::chrono::milliseconds quarantine_cooldown{10 * 60 * 1000};
  // State-change log; empty: LogToStderr.
  LogFn log;

  // Fills derived defaults; INVALID_ARGUMENT names the bad option.
  Status Resolve();
};

}  // namespace ltsweep::coordinator
