// CoordinatorOptions: every setting of the coordinator daemon
// (`ltsweep coordinator`, and the in-process coordinator of `ltsweep run`),
// each with its default. These defaults are the only ones: the CLI overrides
// a field only when its flag is given, and its --help shows the default read
// from a default-constructed CoordinatorOptions. Resolve() fills the derived
// defaults and checks the values once.
//
// Ownership: a plain value; `clock` is borrowed. Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "common/status.h"
#include "coordinator/auth_server.h"

namespace ltsweep::coordinator {

struct CoordinatorOptions {
  // The SQLite database (created when absent). Required (--db).
  std::string db_path;
  // gRPC listen address (--listen); port 0 picks a free port
  // (CoordinatorServer::Start returns it). Default "127.0.0.1:50051": any
  // non-loopback address needs TLS or security.insecure (docs/security.md).
  std::string listen = "127.0.0.1:50051";
  // A second, plain-text address serving only grpc.health.v1 (--health-listen;
  // coordinator/health_server.h), for probes that cannot speak TLS. Empty
  // (default): none.
  std::string health_listen;
  // The HTTP dashboard and /metrics on this host:port (--http;
  // coordinator/http_routes.h), with the gRPC port's TLS and tokens. Empty
  // (default): none.
  std::string http_listen;
  // A lease not renewed within this long goes back to the queue
  // (--lease-ttl). Default 30 s.
  std::chrono::milliseconds lease_ttl{30'000};
  // How often workers are asked to heartbeat (--heartbeat); must be shorter
  // than lease_ttl. Default 5 s.
  std::chrono::milliseconds heartbeat_interval{5'000};
  // How often the scheduler looks for expired leases and lost workers
  // (--scan-interval). Default 0: min(1 s, lease_ttl / 4).
  std::chrono::milliseconds scan_interval{0};
  // A worker silent for this long is logged as lost. Default 0: lease_ttl.
  std::chrono::milliseconds worker_lost_after{0};
  // What an idle slot is told: ask again after this long (--idle-retry).
  // Default 1 s (also when set to 0).
  std::chrono::milliseconds idle_retry{1'000};
  // How often WatchSweep looks for new events. Default 200 ms (also when set
  // to 0).
  std::chrono::milliseconds watch_poll{200};
  // Largest gRPC message accepted or sent; larger ones are refused with
  // RESOURCE_EXHAUSTED (--max-message-mb). Default 16 MiB, at least 1 KiB.
  int max_message_bytes = 16 << 20;
  // Largest sweep spec SubmitSweep accepts, in bytes (--max-spec-kb); larger
  // ones are refused before any YAML parsing. Default 1024 KiB
  // (spec::SpecLimits::max_bytes), at least 1 KiB.
  int64_t max_spec_bytes = 1024 * 1024;
  // Most trials in one ListTrials answer (--max-page-size); a larger
  // page_size is cut to it. Default 1000, at least 1.
  int max_page_size = 1000;
  // Most WatchSweep streams open at once (--max-watch-streams); each holds
  // a server thread while open. One more is refused with RESOURCE_EXHAUSTED.
  // Default 32, at least 1.
  int max_watch_streams = 32;
  // TLS, mutual TLS, --insecure, bearer tokens with roles, reflection
  // (coordinator/auth_server.h). Default: plain text on loopback, no tokens,
  // no reflection.
  SecurityOptions security;
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
  // One line per state change (sweep submitted, trial leased, finished,
  // retried, failed, worker joined, worker lost, ...). Default (empty):
  // StderrLog("coordinator").
  LogFn log;

  // Fills derived defaults; INVALID_ARGUMENT names the bad option.
  Status Resolve();
};

}  // namespace ltsweep::coordinator
