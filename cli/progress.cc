#include "cli/progress.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ltsweep::cli {

namespace {

int EpochsOf(const std::string& config_json) {
  nlohmann::json j = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return 0;
  auto train = j.find("train");
  if (train == j.end() || !train->is_object()) return 0;
  auto e = train->find("epochs");
  return e != train->end() && e->is_number_integer() ? e->get<int>() : 0;
}

bool Terminal(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled" || state == "linked" ||
         state == "stopped";
}

std::string Bar(int done, int total, int width) {
  const int filled = total > 0 ? std::clamp(done * width / total, 0, width) : 0;
  return std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.');
}

}  // namespace

ProgressTracker::ProgressTracker(int64_t sweep_id) : sweep_id_(sweep_id), start_(std::chrono::steady_clock::now()) {}

ProgressTracker::ProgressTracker(int64_t sweep_id, int64_t since_unix_ms)
    : sweep_id_(sweep_id), start_(std::chrono::steady_clock::now()), since_unix_ms_(since_unix_ms) {}

StatusOr<SweepProgress> ProgressTracker::Poll(CoordinatorClient& client) {
  LTSWEEP_ASSIGN_OR_RETURN(v1::SweepInfo sweep, client.GetSweep(sweep_id_));
  LTSWEEP_ASSIGN_OR_RETURN(v1::ListTrialsResponse trials, client.ListTrials(sweep_id_));
  SweepProgress p;
  p.sweep_id = sweep.sweep_id();
  p.name = sweep.name();
  p.state = sweep.state();
  p.run_cap = sweep.run_cap();
  int64_t epochs_left = 0;
  for (const v1::TrialInfo& t : trials.trials()) {
    ++p.total;
    const std::string& s = t.state();
    if (first_ && (since_unix_ms_ == 0 ? Terminal(s) : s == "linked")) finished_before_.insert(t.trial_id());
    const bool before = finished_before_.count(t.trial_id()) > 0;
    const int epochs = EpochsOf(t.config_json());
    if (s == "succeeded" || s == "linked") {
      ++p.succeeded;
      if (s == "linked") ++p.reused;
      if (!before) p.epochs_done += epochs;
    } else if (s == "failed") {
      ++p.failed;
    } else if (s == "cancelled") {
      ++p.cancelled;
    } else if (s == "stopped") {
      ++p.stopped;
    } else if (s == "queued") {
      ++p.queued;
      epochs_left += epochs;
    } else {  // leased | running
      ++p.running;
      RunningTrial r;
      r.trial_id = t.trial_id();
      r.epochs = epochs;
      r.worker_id = t.worker_id();
      auto m = client.QueryMetrics(t.trial_id());
      if (m.ok()) {
        // Epochs are numbered from 0: epoch E finished means E + 1 done.
        for (const auto& point : m->points()) {
          if (point.class_index() >= 0) continue;
          if (point.epoch() + 1 > r.epoch) {
            r.epoch = point.epoch() + 1;
            r.loss.reset();
          }
          if (point.epoch() + 1 == r.epoch && point.name() == "train_loss") r.loss = point.value();
        }
      }
      // A resumed trial that had epochs before this run: count only what
      // this run did as speed (approximately: all of its epochs if it
      // started in this run).
      if (!before) p.epochs_done += r.epoch;
      epochs_left += std::max(0, epochs - r.epoch);
      p.running_trials.push_back(std::move(r));
    }
  }
  // Epochs that running trials had finished before the first poll are not
  // this tracker's speed.
  if (first_ && since_unix_ms_ == 0) baseline_done_ = p.epochs_done;
  first_ = false;
  p.epochs_total = p.epochs_done + epochs_left;
  const int64_t done_since = p.epochs_done - baseline_done_;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (since_unix_ms_ > 0) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    elapsed = static_cast<double>(now_ms - since_unix_ms_) / 1e3;
  }
  if (epochs_left == 0 && p.queued + p.running == 0) {
    p.eta_s = 0;
  } else if (done_since > 0 && elapsed > 0) {
    p.eta_s = elapsed * static_cast<double>(epochs_left) / static_cast<double>(done_since);
  }
  return p;
}

std::string FormatSeconds(double seconds) {
  const int64_t s = std::max<int64_t>(0, std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::vector<std::string> ProgressLines(const SweepProgress& p) {
  std::vector<std::string> lines;
  std::string summary =
      fmt::format("sweep {} ({}): {}/{} done", p.sweep_id, p.name, p.succeeded + p.stopped, p.total);
  if (p.reused > 0) summary += fmt::format(" ({} reused)", p.reused);
  if (p.run_cap > 0) summary += fmt::format(", {}/{} created (bayes)", p.total, p.run_cap);
  if (p.stopped > 0) summary += fmt::format(" ({} stopped early)", p.stopped);
  summary += fmt::format(", {} running, {} queued, {} failed", p.running, p.queued, p.failed);
  if (p.cancelled > 0) summary += fmt::format(", {} cancelled", p.cancelled);
  if (p.Finished()) {
    summary += fmt::format(" - {}", p.state);
  } else if (p.eta_s) {
    summary += ", ETA " + FormatSeconds(*p.eta_s);
  } else {
    summary += ", ETA --";
  }
  lines.push_back(std::move(summary));
  for (const RunningTrial& r : p.running_trials) {
    std::string line = fmt::format("  trial {:<4} [{}] epoch {}/{}", r.trial_id, Bar(r.epoch, r.epochs, 20), r.epoch,
                                   r.epochs > 0 ? std::to_string(r.epochs) : std::string("?"));
    if (r.loss) line += fmt::format("  loss {:.4f}", *r.loss);
    lines.push_back(std::move(line));
  }
  return lines;
}

void ProgressRenderer::Draw(const SweepProgress& p) {
  std::vector<std::string> lines = ProgressLines(p);
  if (tty_) {
    if (drawn_ > 0) out_ << "\x1b[" << drawn_ << "A\r\x1b[J";
    for (const auto& l : lines) out_ << l << "\n";
    drawn_ = lines.size();
  } else {
    // A line counts as changed when more than its ETA changed.
    std::vector<std::string> keys;
    for (const auto& l : lines) keys.push_back(l.substr(0, l.find(", ETA ")));
    for (size_t i = 0; i < lines.size(); ++i) {
      if (std::find(last_.begin(), last_.end(), keys[i]) == last_.end()) out_ << lines[i] << "\n";
    }
    lines = std::move(keys);
  }
  out_.flush();
  last_ = std::move(lines);
}

void ProgressRenderer::Finish() {
  drawn_ = 0;
  out_.flush();
}

}  // namespace ltsweep::cli
