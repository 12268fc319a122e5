#include "coordinator/options.h"

#include <algorithm>

#include <fmt/format.h>

namespace ltsweep::coordinator {

Status CoordinatorOptions::Resolve() {
  if (db_path.empty()) return InvalidArgumentError("--db: the database path is required");
  if (listen.empty()) return InvalidArgumentError("--listen: the listen address is required");
  if (lease_ttl.count() <= 0) return InvalidArgumentError("--lease-ttl: must be positive");
  if (heartbeat_interval.count() <= 0) return InvalidArgumentError("--heartbeat: must be positive");
  if (heartbeat_interval >= lease_ttl) {
    return InvalidArgumentError(fmt::format("--heartbeat ({} ms) must be shorter than --lease-ttl ({} ms)",
                                            heartbeat_interval.count(), lease_ttl.count()));
  }
  if (scan_interval.count() <= 0) scan_interval = std::min(std::chrono::milliseconds(1000), lease_ttl / 4);
  if (worker_lost_after.count() <= 0) worker_lost_after = lease_ttl;
  if (idle_retry.count() <= 0) idle_retry = std::chrono::milliseconds(1000);
  if (watch_poll.count() <= 0) watch_poll = std::chrono::milliseconds(200);
  if (max_message_bytes < 1024) return InvalidArgumentError("max_message_bytes: must be at least 1024");
  if (max_spec_bytes < 1024) return InvalidArgumentError("--max-spec-kb: must be at least 1");
  if (max_page_size < 1) return InvalidArgumentError("--max-page-size: must be at least 1");
  if (max_watch_streams < 1) return InvalidArgumentError("--max-watch-streams: must be at least 1");
  if (!clock) clock = SystemClock::Default();
  if (!log) log = StderrLog("coordinator");
  return Status::Ok();
}

}  // namespace ltsweep::coordinator
