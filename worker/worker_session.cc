#include "worker/worker_session.h"

#include <fmt/format.h>

#include "worker/coordinator_client.h"

namespace ltsweep::worker {

WorkerSession::WorkerSession(LogFn hook, BackoffOptions backoff, uint64_t seed)
    : hook_(std::move(hook)), backoff_(backoff), stderr_log_(StderrLog("worker -")) {
  seeds_.seed(seed != 0 ? seed : std::random_device{}());
}

std::string WorkerSession::id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return id_;
}

void WorkerSession::set_id(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (id == id_) return;
  id_ = id;
  stderr_log_ = StderrLog("worker " + (id.empty() ? std::string("-") : id));
}

void WorkerSession::Log(const std::string& text) {
  std::string id;
  LogFn sink;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = id_.empty() ? "-" : id_;
    sink = stderr_log_;
  }
  if (!hook_) {
    sink(text);  // StderrLog writes whole lines
    return;
  }
  const std::string line = fmt::format("worker {}: {}", id, text);
  std::lock_guard<std::mutex> lock(log_mu_);
  hook_(line);
}

void WorkerSession::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

bool WorkerSession::WaitFor(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_.load(); });
  return !stopping_;
}

void WorkerSession::NoteReachable(bool ok, const Status& error) {
  bool changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    changed = reachable_ != ok;
    reachable_ = ok;
  }
  if (!changed) return;
  Log(ok ? "coordinator reachable again"
         : "coordinator unreachable: " + DescribeRpcError(error) + "; retrying with backoff");
}

void WorkerSession::SetReachable() {
  std::lock_guard<std::mutex> lock(mu_);
  reachable_ = true;
}

Backoff WorkerSession::MakeBackoff() {
  std::lock_guard<std::mutex> lock(mu_);
  return Backoff(backoff_, seeds_());
}

std::chrono::milliseconds WorkerSession::heartbeat_interval() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heartbeat_interval_;
}

void WorkerSession::set_heartbeat_interval(std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> lock(mu_);
  heartbeat_interval_ = interval;
}

}  // namespace ltsweep::worker
