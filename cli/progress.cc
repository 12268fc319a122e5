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

std::string Bar(int done, int total, int width) {
  const int filled = total > 0 ? std::clamp(done * width / total, 0, width) : 0;
  return std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.');
}

// The sweep's leased and running trials (with configs, for their epochs),
// each with its latest epoch and loss. Bounded by the workers' slots, never
// by the size of the sweep.
StatusOr<std::vector<RunningTrial>> ReadRunningTrials(CoordinatorClient& client, int64_t sweep_id) {
  std::vector<RunningTrial> running;
  v1::ListTrialsRequest request;
  request.set_sweep_id(sweep_id);
  request.set_include_config(true);
  request.add_states("leased");
  request.add_states("running");
  LTSWEEP_RETURN_IF_ERROR(client.ForEachTrialPage(request, [&](const v1::ListTrialsResponse& page) {
    for (const v1::TrialInfo& t : page.trials()) {
      RunningTrial r;
      r.trial_id = t.trial_id();
      r.epochs = EpochsOf(t.config_json());
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
      running.push_back(std::move(r));
    }
    return Status::Ok();
  }));
  return running;
}

}  // namespace

ProgressTracker::ProgressTracker(int64_t sweep_id) : sweep_id_(sweep_id), start_(std::chrono::steady_clock::now()) {}

ProgressTracker::ProgressTracker(int64_t sweep_id, int64_t since_unix_ms)
    : sweep_id_(sweep_id), start_(std::chrono::steady_clock::now()), since_unix_ms_(since_unix_ms) {}

StatusOr<SweepProgress> ProgressTracker::Poll(CoordinatorClient& client) {
  // Counts and epoch sums come with the sweep; only the running trials are
  // listed, so a poll costs the same for 10 or 100,000 trials.
  LTSWEEP_ASSIGN_OR_RETURN(v1::SweepInfo sweep, client.GetSweep(sweep_id_));
  SweepProgress p;
  p.sweep_id = sweep.sweep_id();
  p.name = sweep.name();
  p.state = sweep.state();
  p.total = sweep.trials_total();
  p.expected = sweep.trials_expected();
  p.queued = sweep.trials_queued();
  p.running = sweep.trials_running();
  p.succeeded = sweep.trials_succeeded() + sweep.trials_linked();
  p.reused = sweep.trials_linked();
  p.failed = sweep.trials_failed();
  p.cancelled = sweep.trials_cancelled();
  p.stopped = sweep.trials_stopped();
  p.run_cap = sweep.run_cap();
  // The stage running (or failed), else the last one that ran.
  int shown = -1;
  for (const auto& st : sweep.stages()) {
    if (st.state() == "running" || st.state() == "failed") {
      shown = st.stage();
      break;
    }
    if (st.state() == "done") shown = st.stage();
  }
  if (shown >= 0) {
    const auto& st = sweep.stages(shown);
    p.stage = fmt::format("stage {}/{} {} {}", st.stage() + 1, sweep.stages_size(), st.name(), st.state());
  }
  if (p.running > 0) {
    LTSWEEP_ASSIGN_OR_RETURN(p.running_trials, ReadRunningTrials(client, sweep_id_));
  }
  // Epochs done: succeeded trials (reused ones never ran here) plus what
  // each running trial finished; left: queued trials plus the rest of the
  // running ones.
  int64_t epochs_left = sweep.epochs_queued();
  p.epochs_done = sweep.epochs_succeeded();
  for (const RunningTrial& r : p.running_trials) {
    p.epochs_done += r.epoch;
    epochs_left += std::max(0, r.epochs - r.epoch);
  }
  // Watching from now: what was done at the first poll is not speed.
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
  if (p.state == "submitting") {
    lines.push_back(fmt::format("sweep {} ({}): submitting, {} of {} trials in", p.sweep_id, p.name, p.total,
                                p.expected));
    return lines;
  }
  std::string summary =
      fmt::format("sweep {} ({}): {}/{} done", p.sweep_id, p.name, p.succeeded + p.stopped, p.total);
  if (p.reused > 0) summary += fmt::format(" ({} reused)", p.reused);
  if (p.run_cap > 0) summary += fmt::format(", {}/{} created (bayes)", p.total, p.run_cap);
  if (!p.stage.empty()) summary += ", " + p.stage;
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
