// The records the results store reads and writes: sweeps, trials, attempts,
// metric rows, workers and events, and the names of their states. These are
// the one shape of each concept in ltsweep: the coordinator, the CLI and the
// report (report/) all use them; a trial's or sweep's condition is its
// `state` everywhere (the database column is called `status`).
//
// These are plain values (copyable, no behaviour beyond name conversion); the
// state machine that moves them lives in store/store.h. Every state is kept
// in the database as the lower-case name returned by the *Name() functions
// below, so the database reads well from sqlite3 or pandas
// (docs/results-db.md).
//
// Times are milliseconds since the Unix epoch, read from the store's Clock.
//
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/trial_log_types.h"

namespace ltsweep {

// --- States -----------------------------------------------------------------

// pending: no trial leased yet; running: at least one trial leased or done;
// done: every trial terminal and at least one succeeded or linked;
// failed: every trial terminal and none succeeded or linked;
// cancelled: CancelSweep() was called;
// submitting: CreateSweep is still inserting the trials of a large sweep in
// chunks (nothing is leased from it yet; in the database: status 'pending'
// with submitting = 1).
enum class SweepState { kPending, kRunning, kDone, kCancelled, kFailed, kSubmitting };

// queued -> leased (LeaseNextTrial) -> running (first heartbeat or report)
// -> succeeded | failed | queued again (retry) | cancelled | stopped.
// linked: the same config hash already succeeded elsewhere; its results are
// read through reused_from_trial_id and it never runs.
// stopped: early termination (the sweep's early_terminate rule) ended it;
// its metrics are kept. Not a failure, and never reused as a finished
// result by a later identical trial.
enum class TrialState { kQueued, kLeased, kRunning, kSucceeded, kFailed, kCancelled, kLinked, kStopped };

// One row per try of a trial. running: the lease is held; lost: the lease
// expired (worker gone, frozen or cut off); interrupted: the trainer was
// stopped with SIGTERM (exit 4) and the trial was requeued; stopped: early
// termination stopped it (the trial is stopped).
enum class AttemptState { kRunning, kSucceeded, kFailed, kLost, kInterrupted, kCancelled, kStopped };

enum class WorkerState { kAlive, kLost, kStopped };

// How an attempt ended, as the worker reports it (see the trainer contract in
// DESIGN.md), and what it costs the trial and the worker:
//
//   outcome            from                               trial            try used  worker
//   kSucceeded         exit 0                             succeeded        -         count reset
//   kFailedPermanent   exit 2 or 3                        failed           -         -
//   kFailedRetryable   a crash or a signal                queued / failed  yes       counts
//   kInterrupted       exit 4 after SIGTERM               queued           no        -
//   kRetryElsewhere    "this machine cannot run it"       queued           no        counts
//   kWorkerFault       the worker failed around the       queued           no        counts
//                      trainer (spawn, config, work dir)
//   kStopped           early termination: the worker      stopped          no        -
//                      SIGTERMed it as the coordinator
//                      decided (exit 4, or any exit)
//
// "counts": the worker's run of consecutive failures grows by one; "count
// reset": the run goes back to 0; "-": the run is left as it is.
// quarantine_after counted failures in a row quarantine the worker
// (StoreOptions). A lost lease (ExpireLeases: the worker was killed, frozen
// or cut off) is not a failure of the machine: like "-", it neither counts
// nor resets. A trial requeued after a counting failure or a lost lease
// avoids that worker (and its host) while another eligible worker exists.
enum class AttemptOutcome {
  kSucceeded,
  kFailedPermanent,
  kFailedRetryable,
  kInterrupted,
  kRetryElsewhere,
  kWorkerFault,
  kStopped,
};

// True for the outcomes that requeue the trial without using up a try.
bool IsFreeRetry(AttemptOutcome o);
// True for the outcomes that count against the worker (quarantine).
bool CountsAgainstWorker(AttemptOutcome o);

const char* SweepStateName(SweepState s);
const char* TrialStateName(TrialState s);
const char* AttemptStateName(AttemptState s);
const char* WorkerStateName(WorkerState s);
const char* AttemptOutcomeName(AttemptOutcome o);

// Inverse of the *Name() functions; nullopt for an unknown name.
std::optional<SweepState> ParseSweepState(std::string_view name);
std::optional<TrialState> ParseTrialState(std::string_view name);
std::optional<AttemptState> ParseAttemptState(std::string_view name);
std::optional<WorkerState> ParseWorkerState(std::string_view name);
std::optional<AttemptOutcome> ParseAttemptOutcome(std::string_view name);

// succeeded, failed, cancelled, linked and stopped never change again.
bool IsTerminal(TrialState s);

// --- Records ----------------------------------------------------------------

struct SweepRecord {
  int64_t id = 0;
  std::string name;
  std::string spec_yaml;          // the spec text as submitted
  SweepState state = SweepState::kPending;
  int priority = 0;               // higher runs first
  int max_attempts = 3;
  bool rerun = false;             // true: do not link to earlier results
  std::string metric_name;        // e.g. "val_error"
  std::string metric_goal;        // "minimize" or "maximize"
  // The early_terminate rule as JSON (search::RuleToJson); empty: none.
  std::string early_terminate_json;
  int n_trials = 0;
  // method: bayes: trials are made at lease time, up to run_cap of them.
  std::optional<int64_t> run_cap;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::optional<int64_t> finished_ms;
  int gpus = 0;                   // resources.gpus: GPUs per trial (0: CPU)
};

// How many trials of a sweep are in each state.
struct TrialCounts {
  int queued = 0;
  int leased = 0;
  int running = 0;
  int succeeded = 0;
  int failed = 0;
  int cancelled = 0;
  int linked = 0;
  int stopped = 0;
  int total() const {
    return queued + leased + running + succeeded + failed + cancelled + linked + stopped;
  }
  int& at(TrialState s);
  // The sum of train.epochs over the trials in each state (what progress
  // ETAs count), indexed by TrialState.
  int64_t epochs[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t& epochs_at(TrialState s) { return epochs[static_cast<int>(s)]; }
  int64_t epochs_at(TrialState s) const { return epochs[static_cast<int>(s)]; }
};

struct SweepInfo {
  SweepRecord sweep;
  TrialCounts counts;
};

struct TrialRecord {
  int64_t id = 0;
  int64_t sweep_id = 0;
  int ordinal = 0;                // position within the sweep, from 0
  std::string config_json;        // the fully resolved trial config
  std::string config_hash;
  TrialState state = TrialState::kQueued;
  int attempts = 0;               // attempts started so far (the current one included)
  std::string lease_token;        // empty unless leased or running
  std::optional<int64_t> lease_deadline_ms;
  std::string worker_id;          // current (or, once terminal, last) worker; empty if none
  std::optional<int64_t> reused_from_trial_id;  // set for linked trials
  std::optional<double> best_metric;  // of the sweep's metric_name
  std::optional<double> last_metric;
  std::optional<int> best_epoch;
  std::string error;              // last error text, empty if none
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::optional<int64_t> started_ms;   // first lease
  std::optional<int64_t> finished_ms;  // reached a terminal state
};

// What an attempt ran with: the runtime fields of the trainer's start event
// (common/trainer_contract.h). Results on CPU depend on the thread count.
struct AttemptRuntime {
  int threads = 0;       // LibTorch intra-op threads
  std::string blas;      // BLAS library and version ("" when not reported)
  int blas_threads = 0;  // the BLAS library's own threads (0: unknown)
  std::string device;    // "cpu", "cuda", "cuda:N"
};

struct AttemptRecord {
  int64_t trial_id = 0;
  int attempt = 0;                // 1, 2, ...
  std::string worker_id;
  std::string lease_token;
  AttemptState state = AttemptState::kRunning;
  std::optional<int> exit_code;
  std::string error;
  int64_t started_ms = 0;
  std::optional<int64_t> ended_ms;
  // How it ended: an AttemptOutcomeName, "lost" for an expired lease, empty
  // while running (and for attempts written before schema version 3).
  std::string outcome;
  // False when the attempt did not use up one of the trial's max_attempts
  // tries (interrupted, retry elsewhere, worker fault, cancelled, or lost to
  // the coordinator's own outage).
  bool used_try = true;
  // From the trainer's start event; nullopt until it arrived (and for
  // attempts written before the attempt-runtime migration).
  std::optional<AttemptRuntime> runtime = std::nullopt;
};

struct TrialInfo {
  TrialRecord trial;
  std::vector<AttemptRecord> attempts;  // by attempt number
};

// One scalar per (trial, attempt, epoch, name): "val_error", "train_loss",
// "lr", ... Writing the same key twice keeps one row (the last value).
struct MetricRow {
  int epoch = 0;
  std::string name;
  double value = 0;               // NaN is stored as NULL and read back as NaN
};

// One value per class: name "error" (per-class validation error), ...
struct PerClassRow {
  int epoch = 0;
  std::string name;
  int class_index = 0;
  double value = 0;
};

// Non-scalar data as JSON text: kind "start", "done", "confusion", ...
// epoch is -1 for data that belongs to no epoch. One row per
// (trial, attempt, epoch, kind); writing it again replaces it.
struct PayloadRow {
  int epoch = -1;
  std::string kind;
  std::string json;
};

// What a worker sends in one ReportMetrics call; written in one transaction.
struct MetricBatch {
  std::vector<MetricRow> metrics;
  std::vector<PerClassRow> per_class;
  std::vector<PayloadRow> payloads;
  // The worker reporting; not empty: the lease must have been issued to it.
  // (A default member initializer, so brace-initialisations that stop
  // before it stay warning-free.)
  std::string worker_id = {};
  // Set on the report that carries the start event: written to the
  // attempt's row (not counted in size()).
  std::optional<AttemptRuntime> runtime = std::nullopt;
  // Pieces of the attempt's trainer stderr (store/trial_log_types.h), kept
  // with the attempt (not counted in size()).
  std::vector<LogChunk> log_chunks = {};
  size_t size() const { return metrics.size() + per_class.size() + payloads.size(); }
};

// The stored metrics of one attempt (read back by GetMetrics).
struct TrialMetrics {
  int64_t trial_id = 0;         // the trial asked for
  int64_t source_trial_id = 0;  // the trial whose rows these are (differs when linked)
  int attempt = 0;              // the attempt whose rows these are (0: none yet)
  std::vector<MetricRow> metrics;       // by epoch, then name
  std::vector<PerClassRow> per_class;   // by epoch, name, class_index
  std::vector<PayloadRow> payloads;     // by epoch, kind
};

// (epoch, value) pairs, sorted by epoch.
using Series = std::vector<std::pair<int, double>>;

// A trial's metrics over all its attempts, merged into one history by
// MergeAttempts (store/metric_history.h): at each (epoch, name) -- for
// payloads (epoch, kind) -- the row of the latest attempt that wrote one. A
// resumed attempt replays the checkpointed epochs (trainer contract,
// kFieldReplayed) and then trains the rest, so the merged series is the whole
// training run. A linked trial's history is its source
// trial's.
struct MetricHistory {
  int64_t source_trial_id = 0;  // the trial whose rows these are (differs when linked)
  // Scalars: "val_error", "train_loss", "lr", ... -> series.
  std::map<std::string, Series> scalars;
  // Per-class rows by name ("error"), then epoch: one value per class from
  // class 0 (NaN where a class has no row).
  std::map<std::string, std::map<int, std::vector<double>>> per_class;
  std::vector<PayloadRow> payloads;  // by epoch, then kind
};

// One decision of the early-termination rule about a trial after one epoch
// (the early_stop_decisions table).
struct EarlyStopRecord {
  int64_t trial_id = 0;
  int attempt = 0;
  int64_t epoch = 0;                  // the epoch index judged
  std::optional<int> rung;            // hyperband rung index; none for median
  int64_t rung_epochs = 0;            // the rung, in epochs trained
  bool stop = false;                  // the verdict
  bool guarded = false;               // the DRW guard turned a stop into continue
  double value = 0;                   // the trial's value compared
  double threshold = 0;               // the cut-off it was compared with
  int compared = 0;                   // trials in the comparison
  std::string compared_with;          // one line: what was compared with what
  int64_t time_ms = 0;
};

// A trial with everything recorded about it: its row, every attempt and its
// merged metrics. What the results commands and the report read, from the
// database (Store::GetTrialHistory) or from the coordinator (the CLI).
struct TrialHistory {
  TrialRecord trial;
  std::vector<AttemptRecord> attempts;  // oldest first
  MetricHistory metrics;
  // What early termination decided about it, by attempt and epoch
  // (Store::GetTrialHistory and `ltsweep trial` fill it; sweep histories
  // leave it empty).
  std::vector<EarlyStopRecord> early_stop;
};

// A sweep with the histories of its trials, by ordinal.
struct SweepHistory {
  SweepRecord sweep;
  std::vector<TrialHistory> trials;
};

// The inputs of one early-termination decision (Store::GetSweepCurves).
struct SweepCurves {
  int64_t sweep_id = 0;
  std::string config_json;            // of the trial judged
  // trial id -> epoch -> value (NaN for NULL), every trial of the sweep with
  // a row of the metric.
  std::map<int64_t, std::map<int64_t, double>> curves;
};

struct WorkerRecord {
  std::string id;
  std::string host;
  int slots = 1;
  std::vector<int> gpus;          // empty for CPU-only workers
  WorkerState state = WorkerState::kAlive;
  int64_t registered_ms = 0;
  int64_t last_seen_ms = 0;
  // Quarantine (StoreOptions::quarantine_after): no leases before this time
  // (0: not quarantined); how many times it was quarantined since its last
  // success (each cool-down doubles the one before); its run of failures
  // since then; and the error of its last failed attempt.
  int64_t quarantined_until_ms = 0;
  int quarantines = 0;
  int consecutive_failures = 0;
  std::string last_error;
};

struct WorkerInfo {
  WorkerRecord worker;
  std::vector<int64_t> current_trials;  // leased or running on this worker
};

// One row per state change. kind is one of: sweep_submitted, sweep_running,
// sweep_done, sweep_failed, sweep_cancelled, trial_leased, trial_running,
// trial_succeeded, trial_failed, trial_retried, trial_stop_decided, trial_stopped, lease_expired,
// trial_cancelled, worker_joined, worker_lost, worker_back, worker_stopped,
// worker_quarantined, worker_released, leases_resumed,
// sweep_submit_rolled_back (a submission cut short by a crash, removed).
struct EventRecord {
  int64_t id = 0;                 // increasing; use as a cursor
  int64_t time_ms = 0;
  std::string kind;
  std::optional<int64_t> sweep_id;
  std::optional<int64_t> trial_id;
  std::string worker_id;          // empty if none
  std::optional<int> attempt;
  std::string message;            // one human-readable line
};

}  // namespace ltsweep
