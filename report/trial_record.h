// TrialRecord: the transport-free picture of one finished (or failed) trial
// that the results tables, the SVG charts and the HTML report are made from.
//
// Records are filled either from the SQLite results database directly
// (report/db_loader.h) or by the CLI from the coordinator's answers; nothing in
// report/ knows about gRPC. A SweepRecord bundles a sweep's trials with the
// sweep's name and target metric.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ltsweep::report {

// (epoch, value) pairs, sorted by epoch.
using Series = std::vector<std::pair<int, double>>;

// One attempt at running a trial (a lease that ended, or is still running).
struct AttemptRecord {
  int attempt = 0;
  std::string state;   // running | succeeded | failed | lost | cancelled ...
  std::string worker;  // worker name or id, empty when unknown
  std::string error;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;  // 0 while running
};

struct TrialRecord {
  int64_t trial_id = 0;
  int64_t sweep_id = 0;
  // queued | leased | running | succeeded | failed | cancelled (the store's words).
  std::string status;
  nlohmann::json config = nlohmann::json::object();  // the resolved trial config
  std::string config_hash;
  int attempts = 0;
  // The last attempt's error message (empty when none).
  std::string error;
  // Every attempt, oldest first (may be empty when the source has none).
  std::vector<AttemptRecord> attempt_history;
  // Scalar metrics per epoch: "train_loss", "val_loss", "val_error", "lr",
  // "many_shot_error", ... -> (epoch, value), sorted by epoch.
  std::map<std::string, Series> scalar_series;
  // Per-class metrics: "per_class_error" -> epoch -> one value per class.
  std::map<std::string, std::map<int, std::vector<double>>> per_class;
  // Training samples per class after the imbalance was applied (from the
  // trainer's start/done event); empty when unknown. Used for shot columns.
  std::vector<int64_t> class_counts;
  // Class names, when the data set has them; empty otherwise.
  std::vector<std::string> class_names;
  // Confusion matrix of the last evaluated epoch: rows = true class,
  // columns = predicted class (counts). null when unknown.
  nlohmann::json confusion;
  // The trainer's "done" event, null when the trial never finished.
  nlohmann::json done;
};

struct SweepRecord {
  int64_t sweep_id = 0;
  std::string name;
  std::string state;          // running | done | cancelled
  std::string metric = "val_error";
  std::string goal = "minimize";  // minimize | maximize
  std::vector<TrialRecord> trials;
};

// The series `name` of `trial`, or nullptr.
const Series* FindSeries(const TrialRecord& trial, const std::string& name);

// Fills trial.class_counts and trial.class_names, where still empty, from a
// trainer "start" or "done" payload (keys train_class_counts / class_counts
// and class_names). Whatever else the payload holds is ignored.
void ReadClassInfo(const nlohmann::json& payload, TrialRecord& trial);

}  // namespace ltsweep::report
