#include "tests/chaos/trainer_trace.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "tests/chaos/chaos_process.h"

namespace ltsweep::chaos {

namespace {

using Segments = std::vector<std::pair<int64_t, int64_t>>;
constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// [start, end] without the frozen periods.
Segments Running(const TrainerRun& r) {
  Segments out;
  int64_t from = r.start_ns;
  const int64_t end = r.end_ns > 0 ? r.end_ns : kForever;
  std::vector<std::pair<int64_t, int64_t>> frozen = r.frozen;
  std::sort(frozen.begin(), frozen.end());
  for (const auto& [stop, cont] : frozen) {
    if (stop > from) out.push_back({from, std::min(stop, end)});
    from = std::max(from, cont);
  }
  if (from < end) out.push_back({from, end});
  return out;
}

std::string Name(const TrainerRun& r) { return r.label + " pid " + std::to_string(r.pid); }

}  // namespace

int64_t SteadyNowNs() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

TrainerTrace::TrainerTrace(std::string path) : path_(std::move(path)) {}

TrainerTrace::~TrainerTrace() { Stop(); }

void TrainerTrace::Start() { thread_ = std::thread([this] { Loop(); }); }

void TrainerTrace::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  ReadNewLines();
  WatchPids();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [pid, index] : live_) {
    if (runs_[index].end_ns == 0 && !PidAlive(pid)) runs_[index].end_ns = SteadyNowNs();
  }
  for (auto& [pid, fd] : pidfds_) close(fd);
  pidfds_.clear();
}

void TrainerTrace::Loop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    ReadNewLines();
    WatchPids();
  }
}

void TrainerTrace::ReadNewLines() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  in.seekg(offset_);
  std::stringstream chunk;
  chunk << in.rdbuf();
  const std::string text = chunk.str();
  offset_ += static_cast<int64_t>(text.size());
  partial_ += text;
  size_t nl;
  while ((nl = partial_.find('\n')) != std::string::npos) {
    std::istringstream line(partial_.substr(0, nl));
    partial_.erase(0, nl + 1);
    TrainerRun r;
    std::string what;
    if (!(line >> r.label >> r.pid >> what >> r.start_ns)) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (what == "start") {
      long long trial = -1;
      int attempt = -1;
      if (std::sscanf(r.label.c_str(), "trial-%lld-a%d", &trial, &attempt) == 2) {
        r.trial_id = trial;
        r.attempt = attempt;
      }
      const int fd = PidfdOpen(r.pid);
      if (fd < 0) {
        r.end_ns = SteadyNowNs();  // already gone: it ended by now (its end line may say when)
      } else {
        pidfds_[r.pid] = fd;
        live_[r.pid] = runs_.size();
      }
      by_pid_[r.pid] = runs_.size();  // a later run of a reused pid replaces it
      runs_.push_back(std::move(r));
    } else if (what == "end") {
      // The pidfd may have reported the exit first; the line is earlier.
      auto it = by_pid_.find(r.pid);
      if (it == by_pid_.end()) continue;
      TrainerRun& run = runs_[it->second];
      run.end_ns = r.start_ns;
      run.end_line = true;
    }
  }
}

// Waits up to 5 ms for watched trainers to exit; a trainer's end without an
// end line is the moment its pidfd turned readable.
void TrainerTrace::WatchPids() {
  std::vector<pollfd> fds;
  std::vector<pid_t> pids;
  for (const auto& [pid, fd] : pidfds_) {
    fds.push_back({fd, POLLIN, 0});
    pids.push_back(pid);
  }
  if (fds.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return;
  }
  if (poll(fds.data(), fds.size(), 5) <= 0) return;
  const int64_t now = SteadyNowNs();
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    close(fds[i].fd);
    pidfds_.erase(pids[i]);
    auto it = live_.find(pids[i]);
    if (it == live_.end()) continue;
    TrainerRun& run = runs_[it->second];
    if (run.end_ns == 0) run.end_ns = now;
    if (auto f = frozen_since_.find(pids[i]); f != frozen_since_.end()) {
      run.frozen.push_back({f->second, run.end_ns});
      frozen_since_.erase(f);
    }
    live_.erase(it);
  }
}

void TrainerTrace::Frozen(const std::vector<pid_t>& pids) {
  const int64_t now = SteadyNowNs();
  std::lock_guard<std::mutex> lock(mu_);
  // Every pid, not only the runs seen so far: a trainer may have written its
  // start line just before it was stopped, unread yet.
  for (pid_t p : pids) frozen_since_[p] = now;
}

void TrainerTrace::Thawed(const std::vector<pid_t>& pids) {
  const int64_t now = SteadyNowNs();
  std::lock_guard<std::mutex> lock(mu_);
  for (pid_t p : pids) {
    auto f = frozen_since_.find(p);
    auto it = by_pid_.find(p);
    if (f == frozen_since_.end()) continue;
    if (it != by_pid_.end() && runs_[it->second].start_ns < now) runs_[it->second].frozen.push_back({f->second, now});
    frozen_since_.erase(f);
  }
}

std::vector<TrainerRun> TrainerTrace::Runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

std::vector<Overlap> TrainerTrace::Overlaps() const {
  std::map<int64_t, std::vector<TrainerRun>> by_trial;
  for (TrainerRun& r : Runs()) {
    if (r.trial_id >= 0) by_trial[r.trial_id].push_back(std::move(r));
  }
  std::vector<Overlap> out;
  for (auto& [trial, runs] : by_trial) {
    std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; });
    for (size_t i = 0; i < runs.size(); ++i) {
      const Segments a = Running(runs[i]);
      for (size_t j = i + 1; j < runs.size(); ++j) {
        int64_t total = 0, first_at = kForever;
        for (const auto& [a0, a1] : a) {
          for (const auto& [b0, b1] : Running(runs[j])) {
            const int64_t lo = std::max(a0, b0), hi = std::min(a1, b1);
            if (hi > lo) {
              total += hi - lo;
              first_at = std::min(first_at, lo);
            }
          }
        }
        if (total == 0) continue;
        bool after_thaw = false;
        for (const auto& [stop, cont] : runs[i].frozen) after_thaw = after_thaw || cont <= first_at;
        out.push_back({trial, Name(runs[i]), Name(runs[j]), static_cast<double>(total) / 1e6, after_thaw});
      }
    }
  }
  return out;
}

}  // namespace ltsweep::chaos
