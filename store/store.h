// Store: the SQLite results database of ltsweep, and the scheduler's state.
//
// Everything the coordinator knows lives here: sweeps, trials and their
// leases, attempts, metrics, workers and a log of state changes. The
// coordinator keeps nothing else, so a coordinator that is killed and
// restarted on the same file carries on where it stopped. Users may read the
// file directly with sqlite3 or pandas; the schema is described in
// docs/results-db.md.
//
// Every operation below is transport-free and runs in one SQLite transaction
// (all or nothing). Writes that carry a lease token are fenced: a stale token
// (the lease expired and the trial moved to a new attempt, or the sweep was
// cancelled) gets FAILED_PRECONDITION and nothing is written.
//
//   LTSWEEP_ASSIGN_OR_RETURN(auto store, Store::Open("sweeps.db", StoreOptions()));
//   LTSWEEP_ASSIGN_OR_RETURN(auto created, store->CreateSweep(new_sweep));
//   LTSWEEP_ASSIGN_OR_RETURN(auto lease, store->LeaseNextTrial("w1", 30s));
//   if (lease) { ... store->ReportMetrics(lease->trial_id, lease->token, batch); ... }
//
// Errors: NOT_FOUND for unknown ids; FAILED_PRECONDITION for a stale token, a
// lease that is gone, a read-only store or a schema newer than this build
// knows, or a file that is not an ltsweep database; INVALID_ARGUMENT for bad
// arguments; UNAVAILABLE (transient: retry later) when the database stayed
// locked by another process past busy_timeout, the disk or the file's size
// cap is full (SQLITE_FULL) or the file system fails a read or write
// (SQLITE_IOERR*); DATA_LOSS for a corrupt file; INTERNAL for anything else
// SQLite reports. Messages name the database file.
//
// Ownership: Open() returns the only owner of the connection; the Clock in
// StoreOptions is borrowed and must outlive the Store.
//
// Thread-safety: thread-safe. One SQLite write connection guarded by one
// mutex; reads run on read connections of their own (WAL readers,
// store/read_pool.h), each in one read transaction, so they never wait for
// the writer nor hold it up. Writes go through a
// writer queue (group commit): concurrent write calls from many gRPC threads
// are run one after the other by a leader thread inside one transaction,
// each in its own SAVEPOINT, so each call keeps its own all-or-nothing
// result and fencing while the group pays for one commit. A failed commit
// fails every call of its group (StoreOptions::max_group_size).
// Several processes may open the same file (e.g. the CLI read-only next to a
// running coordinator); WAL mode lets readers run beside the writer.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/types.h"

namespace ltsweep {

// --- Trials made at lease time (method: bayes) ---------------------------
//
// A sweep created with NewSweep::search set gets no trials up front: each
// LeaseNextTrial that finds nothing queued for it asks the suggester
// (StoreOptions::suggest_trial) for one, inserts it and leases it in the same
// write, until the sweep has run_cap trials or the suggester has no new
// configuration left.

// One trial of such a sweep, as the suggester sees it.
struct SearchTrial {
  int ordinal = 0;
  std::string point_json;   // the point it was made from (JSON array); "" if none
  std::string config_hash;
  TrialState state = TrialState::kQueued;
  std::optional<double> best_metric;  // of the sweep's metric
  std::optional<double> last_metric;
};

struct SuggestRequest {
  int64_t sweep_id = 0;
  std::string spec_yaml;      // the sweep's spec, as submitted
  uint64_t seed = 0;          // NewSweep::search->seed
  int64_t run_cap = 0;
  std::string metric_goal;    // "minimize" or "maximize"
  std::vector<SearchTrial> trials;  // every trial made so far, by ordinal
};

struct SuggestedTrial {
  std::string config_hash;
  std::string config_json;
  std::string point_json;     // kept in trial_params, handed back in SearchTrial
  std::string params_json;    // what the trial varies, {"<parameter>": value}
};

// Called inside the lease's write transaction, with the store's lock held:
// must not call the Store. nullopt: no new configuration is left (the sweep
// ends with fewer than run_cap trials). An error ends the search too (the
// sweep keeps the trials it has; the error is kept and logged as an event).
using TrialSuggester = std::function<StatusOr<std::optional<SuggestedTrial>>(const SuggestRequest&)>;
// The most GPUs a trial (resources.gpus) or a worker slot may ask for.
inline constexpr int kMaxGpusPerTrial = 64;

struct StoreOptions {
  // How long a statement waits for a lock held by another connection before
  // failing with UNAVAILABLE.
  std::chrono::milliseconds busy_timeout{5000};

  // Open without write access: every write returns FAILED_PRECONDITION. The
  // file must exist and already be at the latest schema version.
  bool read_only = false;

  // Source of time for timestamps, lease deadlines and expiry. Borrowed.
  // Default (nullptr): SystemClock::Default().
  Clock* clock = nullptr;

  // Seed for the lease-token generator. Default (nullopt): tokens come from
  // the kernel's CSPRNG (store/lease_token.h). Set it in tests only, to get
  // reproducible (and predictable) tokens.
  std::optional<uint64_t> token_seed;

  // Fault injection for tests: called inside every write transaction just
  // before COMMIT. A non-OK result rolls the transaction back and becomes the
  // operation's result (every operation of the group, see max_group_size).
  // Default: none.
  std::function<Status()> before_commit;

  // Group commit: at most this many concurrent write calls share one
  // transaction. 1 turns grouping off (one transaction per call).
  int max_group_size = 64;

  // SQLite page cache of the connection, in KiB (PRAGMA cache_size).
  int cache_size_kib = 64 * 1024;

  // Bytes of the file SQLite reads through mmap (PRAGMA mmap_size).
  int64_t mmap_size_bytes = int64_t{256} << 20;

  // The write-ahead log is copied back into the database file (and synced)
  // whenever it passes this many pages (SQLite's own default is 1000).
  // Larger: fewer syncs, and pages rewritten often (the queue, the event
  // log) are copied once per checkpoint; the WAL file grows to about this
  // many 4 KiB pages.
  int wal_autocheckpoint_pages = 8000;

  // Caps the database file at this many pages (PRAGMA max_page_count;
  // pages are 4 KiB): a write that would grow it further fails with
  // UNAVAILABLE, as a full disk does. 0: no cap (SQLite's default).
  int64_t max_page_count = 0;

  // Run PRAGMA quick_check when opening, before anything is written: a
  // corrupt file is refused with DATA_LOSS. Costs a read of the whole file
  // (seconds per GiB); the coordinator sets it.
  bool quick_check_on_open = false;

  // Quarantine: a worker whose last quarantine_after finished attempts in
  // a row counted against it (CountsAgainstWorker in store/types.h: a
  // crash, "cannot run here", a worker fault) gets no lease for
  // quarantine_cooldown, doubled for each further
  // quarantine before its next success. 0 turns quarantine off (the
  // coordinator's default is 3, see coordinator/options.h).
  int quarantine_after = 0;
  std::chrono::milliseconds quarantine_cooldown{10 * 60 * 1000};

  // Makes the trials of sweeps created with NewSweep::search (see
  // TrialSuggester). Default: none; CreateSweep refuses such sweeps.
  TrialSuggester suggest_trial;

  // CreateSweep inserts a sweep of more trials than this in chunks of this
  // many trials, one write transaction each, so leases, heartbeats and
  // reports commit between the chunks; the sweep reads 'submitting' (and is
  // never leased from) until its last chunk is in. 0: one transaction
  // whatever the size.
  int submit_chunk_trials = 500;

  // Read connections kept open between reads (each read query runs on a
  // connection of its own; more are opened while many run at once).
  int idle_read_connections = 4;

  // Run those checkpoints on a background thread with a connection of its
  // own (store/wal_checkpointer.h) instead of inside the commit that passes
  // the threshold, which would stall that commit and every write queued
  // behind it. false: SQLite's automatic checkpoints.
  bool background_checkpoints = true;
};

// Counters of the store's writer queue since Open().
struct StoreStats {
  int64_t write_transactions = 0;  // write transactions committed or tried
  int64_t write_operations = 0;    // write calls run in them
  int64_t largest_group = 0;       // most calls in one transaction
  int64_t busy_micros = 0;         // wall time the writer spent in transactions
  int64_t queued_writes = 0;       // write calls waiting or running now
  int64_t checkpoints = 0;         // background WAL checkpoints run
  // Transactions by number of calls: at most 1, 2, 4, .. 64, more than 64
  // (not cumulative; sqlite::GroupSizeBucket).
  std::array<int64_t, 8> group_sizes{};
};

// What the store holds now, for /metrics (coordinator/coordinator_metrics.h):
// trials by state summed over every sweep (the trigger-kept
// sweep_trial_counts, no scan of trials) and workers by state.
struct StoreGauges {
  TrialCounts trials;
  int workers_alive = 0;        // alive and not quarantined
  int workers_quarantined = 0;  // alive, inside a quarantine cool-down
  int workers_lost = 0;
  int workers_stopped = 0;
};

// One trial of a new sweep: its resolved config and the config's hash
// (ResolvedConfigHash in common/config_hash.h).
struct NewTrial {
  std::string config_hash;
  std::string config_json;
};

struct NewSweep {
  // Unique per logical submission (client-chosen); a second CreateSweep
  // with the same id returns the sweep the first one made. Empty: none.
  std::string request_id;
  std::string name;
  std::string spec_yaml;                  // kept verbatim
  int priority = 0;                       // higher first
  int max_attempts = 3;                   // >= 1
  bool rerun = false;                     // false: link configs that already succeeded
  std::string metric_name = "val_error";  // what best_metric/last_metric hold
  std::string metric_goal = "minimize";   // or "maximize"
  // resources.timeout / resources.no_progress_timeout: handed to the worker
  // with each lease (0: none).
  int64_t timeout_ms = 0;
  int64_t no_progress_timeout_ms = 0;
  // The resolved early_terminate rule as JSON (search::RuleToJson); empty:
  // none. The coordinator judges the trials' reports with it.
  std::string early_terminate_json = {};
  // resources.gpus: GPUs per trial, 0..64. 0: CPU slots only; N: only
  // slots holding exactly N GPUs (LeaseNextTrial's slot_gpus).
  int gpus = 0;
  std::vector<NewTrial> trials;           // in ordinal order
  // Set: trials are made at lease time (trials must be empty).
  struct Search {
    std::string method = "bayes";
    uint64_t seed = 0;
    int64_t run_cap = 0;        // >= 1
  };
  std::optional<Search> search;
  // A staged sweep (`stages:`): every stage in order; `trials` are stage
  // 0's, the others' are made by AdvanceStage. Empty: not staged.
  struct Stage {
    std::string name;
    std::string find;  // "", "lr_bounds" or "plateau"
  };
  std::vector<Stage> stages = {};
};

// A stage whose trials have all ended (Store::StagesToAdvance): its rule
// can run, then AdvanceStage or FailStage.
struct StageToAdvance {
  int64_t sweep_id = 0;
  int stage = 0;
  bool last = false;               // no stage after it
  std::string spec_yaml;           // the sweep's spec
  std::string sweep_name;
  std::vector<int64_t> trial_ids;  // the stage's trials, by ordinal
  std::vector<StageRecord> stages; // every stage of the sweep (found values so far)
};

// What a finished stage found, and the next stage's trials (none after the
// last stage).
struct StageAdvance {
  int64_t sweep_id = 0;
  int stage = 0;
  std::string found_json = "{}";
  std::string evidence_json = "{}";
  std::vector<NewTrial> next_trials;
};

// One page of a sweep's trials (Store::ListTrialsPage), by ordinal.
struct TrialPageRequest {
  int64_t sweep_id = 0;
  // Only trials with a larger ordinal (-1: from the first). Pass the
  // previous page's next_after_ordinal to get the next page: ordinals never
  // change, so paging with no state filter returns every trial exactly once
  // however the trials change state in between.
  int64_t after_ordinal = -1;
  int limit = 500;                  // at most this many trials, >= 1
  std::vector<TrialState> states;   // only trials in these states (empty: all)
  bool with_config = false;         // fill trial.config_json (else empty)
  bool with_history = false;        // fill attempts and merged metrics
  // Only trials that were ever leased (attempts > 0) or are linked.
  bool started_only = false;
  // Stop after the trial that takes the page past about this many bytes of
  // configs, errors and history rows (0: no limit). A page holds at least
  // one trial.
  int64_t max_bytes = 0;
};

struct TrialPage {
  // Each trial's record; attempts and metrics only with with_history.
  std::vector<TrialHistory> trials;
  // The after_ordinal of the next page; nullopt: this was the last page.
  std::optional<int64_t> next_after_ordinal;
};

struct CreatedSweep {
  int64_t sweep_id = 0;
  std::vector<int64_t> trial_ids;  // in ordinal order
  int n_queued = 0;
  int n_linked = 0;                // trials reusing an earlier success
  bool existing = false;           // request_id seen before: nothing created
};

// A trial handed to a worker slot.
struct Lease {
  int64_t trial_id = 0;
  int64_t sweep_id = 0;
  int attempt = 0;                 // 1 for the first try
  std::string token;               // 32 hex digits (128 random bits)
  std::string config_json;
  std::string config_hash;
  int64_t deadline_ms = 0;         // renew before this
  int max_attempts = 0;
  int64_t timeout_ms = 0;          // the sweep's resources.timeout (0: none)
  int64_t no_progress_timeout_ms = 0;
  bool repeated = false;           // the same request_id's live lease, sent again
};

// What ReportMetrics wrote.
struct ReportResult {
  int64_t rows_written = 0;
  int64_t rows_rejected = 0;       // bad rows (no name, ...), skipped one by one
  std::string first_rejection;     // why the first of them was refused
};

// A worker's quarantine started by a failure (FinishResult).
struct Quarantine {
  std::string worker_id;
  int64_t until_ms = 0;
  int failures = 0;                // the run of failures that started it
  std::string last_error;
};

// A lease a worker believes it holds (sent with a heartbeat).
struct HeldLease {
  int64_t trial_id = 0;
  std::string token;
};

// The answer for one HeldLease: renewed, or gone (drop the work).
struct LeaseRenewal {
  int64_t trial_id = 0;
  bool alive = false;
  int64_t deadline_ms = 0;  // new deadline when alive
  std::string reason;       // when gone: "cancelled", "expired", "stale token", ...
  // Early termination decided to stop the trial (RecordEarlyStop): the
  // worker must end its trainer and finish the attempt as kStopped.
  bool stop = false;
};

// A lease that ExpireLeases() took back.
struct ExpiredLease {
  int64_t trial_id = 0;
  int attempt = 0;               // the attempt that was lost
  std::string worker_id;
  bool requeued = false;         // false: max_attempts reached, trial failed
  // False when the lease was one ResumeLeases() renewed and no word came
  // from its worker since this Store was opened: lost to the coordinator's
  // own outage, so it does not use up a try.
  bool used_try = true;
  // A lost lease never counts against its worker (the worker was killed or
  // cut off, which says nothing about its machine), so it never starts a
  // quarantine: see StoreOptions::quarantine_after.
};

struct FinishRequest {
  int exit_code = 0;
  AttemptOutcome outcome = AttemptOutcome::kSucceeded;
  std::string error;             // the trainer's message for failures
  std::optional<double> best_metric;
  std::optional<double> last_metric;
  std::optional<int> best_epoch;
  // The worker finishing; not empty: the lease must have been issued to it.
  // (A default member initializer, so brace-initialisations that stop
  // before it stay warning-free.)
  std::string worker_id = {};
};

struct FinishResult {
  TrialState trial_state = TrialState::kSucceeded;  // succeeded, failed or queued
  bool requeued = false;         // a retry was scheduled as attempt + 1
  std::optional<Quarantine> quarantine;  // the worker was quarantined now
};

// A trial that was leased or running when its sweep was cancelled: its
// worker must stop the trainer. Its next renew answers "lease gone".
struct CancelledLease {
  int64_t trial_id = 0;
  int attempt = 0;
  std::string worker_id;
};

struct WorkerRegistration {
  std::string worker_id;  // empty: the store makes one ("<host>-<8 hex>")
  std::string host;
  int slots = 1;          // >= 1
  std::vector<int> gpus;
  // The GPU count of each slot (slots entries, each 0..64). Empty: read
  // from gpus (one per slot when gpus is given, else CPU slots). (A default
  // member initializer, so brace-initialisations that stop before it stay
  // warning-free.)
  std::vector<int> slot_gpus = {};
};

// What the alive workers can run now (Store::AliveSlotKinds): the distinct
// GPU counts of their slots (0: a CPU slot), ascending.
struct SlotKinds {
  int alive_workers = 0;
  std::vector<int> gpu_counts;
};

struct EventFilter {
  int64_t after_id = 0;                 // only events with id > after_id
  std::optional<int64_t> sweep_id;      // only this sweep's events
  std::optional<int64_t> trial_id;      // only this trial's events
  int limit = 1000;                     // at most this many, oldest first
};

class Store {
 public:
  // Opens (creating when absent, unless read_only) the database at `path`
  // and migrates it to the latest schema version. WAL mode,
  // synchronous=NORMAL, foreign keys on. Fails with FAILED_PRECONDITION when
  // the file's schema version is newer than this build knows, or when it is
  // an SQLite file of something else (tables, but no ltsweep schema), which
  // is never migrated; with DATA_LOSS when it is not an SQLite file or
  // (quick_check_on_open) is corrupt. Nothing is written before those checks.
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                               const StoreOptions& options);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The schema version this build writes (PRAGMA user_version).
  static int LatestSchemaVersion();
  const std::string& path() const;

  // Writer-queue counters (mean group size = operations / transactions).
  StoreStats stats() const;
  // Trials and workers by state, read on a read connection (store_gauges.cc).
  StatusOr<StoreGauges> ReadGauges();

  // --- Sweeps ---------------------------------------------------------------

  // Inserts the sweep and its trials. Unless rerun is set, a trial whose
  // config hash already succeeded in any sweep is inserted as 'linked' to
  // that trial (copying its best/last metric); the others are 'queued'. A
  // sweep whose trials are all linked is 'done' at once.
  //
  // Up to StoreOptions::submit_chunk_trials trials: one transaction. More:
  // the sweep row first (state 'submitting', never leased from), then the
  // trials in chunks of that many, one transaction each, then the sweep is
  // opened ('pending', event sweep_submitted). A failure on the way removes
  // what was inserted; a process killed on the way leaves a 'submitting'
  // sweep that RollBackUnfinishedSubmits() removes. A second call with the
  // request_id of a submission still inserting gets UNAVAILABLE ("still
  // being submitted"; retry later).
  StatusOr<CreatedSweep> CreateSweep(const NewSweep& sweep);

  // Removes every sweep left 'submitting' by a process that stopped in the
  // middle of CreateSweep (its trials first, in chunks; one
  // sweep_submit_rolled_back event each) and returns their ids. Call it
  // when the only writer starts (the coordinator does, under its lock),
  // never while another process may be submitting to the same file.
  StatusOr<std::vector<int64_t>> RollBackUnfinishedSubmits();

  // FAILED_PRECONDITION for a sweep still being submitted.
  // Marks the sweep cancelled and its queued trials cancelled; leased and
  // running trials are cancelled too (attempt closed as 'cancelled', lease
  // cleared) and returned so their workers can be told. Cancelling a sweep
  // that is already finished or cancelled changes nothing and returns {}.
  StatusOr<std::vector<CancelledLease>> CancelSweep(int64_t sweep_id);

  // --- Workers --------------------------------------------------------------

  // Adds the worker, or updates host/slots/gpus and marks it alive when the
  // id is known. Returns the worker id.
  StatusOr<std::string> RegisterWorker(const WorkerRegistration& registration);

  // Updates last_seen (a lost worker comes back alive) and renews each held
  // lease by `ttl`; the answer says, lease by lease, whether to carry on.
  // NOT_FOUND for an unknown worker id.
  StatusOr<std::vector<LeaseRenewal>> Heartbeat(const std::string& worker_id,
                                                const std::vector<HeldLease>& leases,
                                                std::chrono::milliseconds ttl);

  // Marks alive workers not seen since now - timeout as lost; returns their
  // ids. Their leases are not touched (they expire on their own deadlines).
  StatusOr<std::vector<std::string>> MarkLostWorkers(std::chrono::milliseconds timeout);

  // A worker that shuts down cleanly.
  Status MarkWorkerStopped(const std::string& worker_id);

  // Lifts the worker's quarantine now (ltsweep workers --release): true
  // when it was quarantined, false when there was nothing to lift. Its run
  // of failures starts again from 0. NOT_FOUND for an unknown worker id.
  StatusOr<bool> ReleaseWorker(const std::string& worker_id);

  // Ends the quarantines whose cool-down has passed (one worker_released
  // event each) and returns those workers' ids.
  StatusOr<std::vector<std::string>> EndQuarantines();

  // --- Leases ---------------------------------------------------------------

  // Hands the next queued trial to `worker_id` for `ttl`: the highest sweep
  // priority first, then the oldest sweep, then the lowest ordinal; cancelled
  // and finished sweeps are skipped. Starts attempt n+1 with a fresh token.
  // A sweep made at lease time (NewSweep::search) with nothing queued and
  // fewer than run_cap trials gets a new trial from the suggester first.
  // nullopt when nothing is queued for this worker, or when it is
  // quarantined. NOT_FOUND for an unknown worker id.
  //
  // A trial requeued after an attempt that counted against its worker
  // (crash, retry elsewhere, worker fault, lost lease) is skipped for that
  // worker -- and for every worker of that host when an eligible worker on
  // another host exists -- while another eligible worker (alive, not
  // quarantined) exists; with none, it is handed out anyway.
  //
  // `request_id` (may be empty): when the worker already holds a live lease
  // granted for the same request id, that lease is returned again (repeated
  // set, deadline unchanged) instead of a second trial.
  //
  // `slot_gpus`: how many GPUs the asking slot holds (0: a CPU slot); only
  // trials of sweeps whose gpus equals it are handed out.
  StatusOr<std::optional<Lease>> LeaseNextTrial(const std::string& worker_id,
                                                std::chrono::milliseconds ttl,
                                                const std::string& request_id = "",
                                                int slot_gpus = 0);

  // Extends the lease to now + ttl and returns the new deadline; marks a
  // leased trial running. FAILED_PRECONDITION (message starts with
  // "lease gone") when the token is stale, the deadline passed, or the trial
  // was cancelled or finished: the worker must drop the work.
  StatusOr<int64_t> RenewLease(int64_t trial_id, const std::string& token,
                               std::chrono::milliseconds ttl);

  // Takes back every leased or running trial whose deadline is before now:
  // its attempt is closed as 'lost' and the trial is queued again (for
  // attempt n+1), or failed with the last error when it has used
  // max_attempts tries (attempts interrupted by their worker do not count).
  StatusOr<std::vector<ExpiredLease>> ExpireLeases();

  // Gives every live lease (leased or running) the deadline now + ttl. The
  // coordinator calls it when it starts, so that its own downtime never
  // expires a lease: deadlines count only time it was up. Returns how many
  // leases were renewed (one leases_resumed event when any).
  StatusOr<int> ResumeLeases(std::chrono::milliseconds ttl);

  // Writes a batch of rows for the attempt the token belongs to, in one
  // transaction; re-sent rows replace themselves (no duplicates). Marks a
  // leased trial running and keeps the trial's best/last metric (of the
  // sweep's metric_name) current. FAILED_PRECONDITION ("lease gone ...") and
  // nothing written when the token is not the trial's current one, the
  // deadline passed, or the trial was cancelled. A bad row (a metric or
  // per-class row without a name, a negative class index, a payload without
  // kind or JSON) is rejected alone: the others are written, and `result`
  // (optional) counts both and says why the first bad row was refused.
  Status ReportMetrics(int64_t trial_id, const std::string& token, const MetricBatch& batch,
                       ReportResult* result = nullptr);

  // Ends the attempt the token belongs to. kSucceeded -> trial succeeded;
  // kFailedPermanent -> failed; kFailedRetryable -> queued again while the
  // trial has used fewer than max_attempts tries, else failed with `error`;
  // kInterrupted (its worker stopped it), kRetryElsewhere and kWorkerFault
  // -> queued again, without using up a try; kStopped -> stopped (only
  // after RecordEarlyStop decided so: else FAILED_PRECONDITION). What counts against the
  // worker (store/types.h) may quarantine it (FinishResult::quarantine).
  // Given
  // best/last metrics overwrite the ones kept from the reports.
  // FAILED_PRECONDITION ("lease gone ...") and nothing written for a stale
  // token, a passed deadline or a cancelled trial.
  StatusOr<FinishResult> FinishAttempt(int64_t trial_id, const std::string& token,
                                       const FinishRequest& request);

  // --- Asynchronous forms of the worker path -----------------------------------
  //
  // The same writes as Heartbeat, LeaseNextTrial, ReportMetrics and
  // FinishAttempt, for servers that must not block a thread per request
  // (the coordinator's callback gRPC service): the call queues the write and
  // returns, usually at once; `done` receives exactly what the blocking form
  // would have returned, after the write's group has committed, on the
  // thread that ran the group (which may be the calling thread, before the
  // call returns) or on the store's reply thread. `done` runs with no store
  // lock held and may call the store again; it should be short, since other
  // replies wait for it.
  void HeartbeatAsync(std::string worker_id, std::vector<HeldLease> leases,
                      std::chrono::milliseconds ttl,
                      std::function<void(StatusOr<std::vector<LeaseRenewal>>)> done);
  void LeaseNextTrialAsync(std::string worker_id, std::chrono::milliseconds ttl,
                           std::function<void(StatusOr<std::optional<Lease>>)> done) {
    LeaseNextTrialAsync(std::move(worker_id), ttl, "", std::move(done));
  }
  void LeaseNextTrialAsync(std::string worker_id, std::chrono::milliseconds ttl,
                           std::string request_id,
                           std::function<void(StatusOr<std::optional<Lease>>)> done) {
    LeaseNextTrialAsync(std::move(worker_id), ttl, std::move(request_id), 0, std::move(done));
  }
  void LeaseNextTrialAsync(std::string worker_id, std::chrono::milliseconds ttl,
                           std::string request_id, int slot_gpus,
                           std::function<void(StatusOr<std::optional<Lease>>)> done);
  void ReportMetricsAsync(int64_t trial_id, std::string token, MetricBatch batch,
                          std::function<void(StatusOr<ReportResult>)> done);
  void FinishAttemptAsync(int64_t trial_id, std::string token, FinishRequest request,
                          std::function<void(StatusOr<FinishResult>)> done);

  // --- Early termination --------------------------------------------------------
  //
  // The rule (search/early_stop.h) runs in the coordinator; the store keeps
  // its inputs and verdicts (store/store_early_stop.cc).

  // The learning curves of `metric` up to epoch `max_epoch` of every trial
  // of `trial_id`'s sweep (the latest attempt's row at each epoch), read in
  // one query, plus that trial's config. NOT_FOUND for an unknown trial.
  StatusOr<SweepCurves> GetSweepCurves(int64_t trial_id, const std::string& metric, int64_t max_epoch);

  // Records one decision of the rule about the attempt the token belongs to
  // (one row per trial, attempt and epoch; written again it replaces
  // itself). A stop marks the trial stop_requested: every later heartbeat
  // answers LeaseRenewal::stop for it, and FinishAttempt accepts kStopped.
  // Fenced like ReportMetrics (FAILED_PRECONDITION "lease gone ...").
  Status RecordEarlyStop(int64_t trial_id, const std::string& token, const EarlyStopRecord& record);
  void RecordEarlyStopAsync(int64_t trial_id, std::string token, EarlyStopRecord record,
                            std::function<void(Status)> done);

  // The decisions recorded about a trial, by attempt and epoch.
  StatusOr<std::vector<EarlyStopRecord>> ListEarlyStopDecisions(int64_t trial_id);

  // --- Queries --------------------------------------------------------------

  // The sweep with its trial counts per state (kept with every state
  // change: the same cost for 10 or 100,000 trials).
  StatusOr<SweepInfo> GetSweep(int64_t sweep_id);
  // Newest first; limit <= 0 means all.
  StatusOr<std::vector<SweepInfo>> ListSweeps(int limit = 0);

  StatusOr<TrialInfo> GetTrial(int64_t trial_id);
  // By ordinal; every trial with its config (for small sweeps and tests;
  // large ones page with ListTrialsPage).
  StatusOr<std::vector<TrialRecord>> ListTrials(int64_t sweep_id);
  // One page of the sweep's trials, by ordinal, read in one transaction.
  // NOT_FOUND for an unknown sweep; INVALID_ARGUMENT for limit < 1.
  StatusOr<TrialPage> ListTrialsPage(const TrialPageRequest& request);

  // The rows of one attempt; nullopt: the trial's latest attempt. A linked
  // trial answers with its source trial's rows (source_trial_id says so).
  StatusOr<TrialMetrics> GetMetrics(int64_t trial_id, std::optional<int> attempt = std::nullopt);

  // The log of one attempt of a trial (its trainer's stderr, kept by
  // ReportMetrics from MetricBatch::log_chunks: the last kTrialLogKeepBytes
  // of each attempt, common/trial_logs.h) from request.from_offset on, read
  // in one transaction; TrialLog says where the next read starts, how many
  // bytes are gone and whether the attempt has ended. A trial without
  // attempts answers attempt 0 and no text. NOT_FOUND for an unknown trial or
  // attempt; INVALID_ARGUMENT for a bad request (attempt < 1, a negative
  // from_offset or one past the end of the log, max_bytes out of range).
  StatusOr<TrialLog> GetTrialLogs(const TrialLogRequest& request);

  // --- Results (what `ltsweep results / trial / curves / report` read) ------

  // The trial, every attempt of it, and its metrics merged over its attempts
  // (MergeAttempts, store/metric_history.h); a linked trial's metrics are
  // its source's. NOT_FOUND ("unknown trial N in PATH") for an unknown id.
  StatusOr<TrialHistory> GetTrialHistory(int64_t trial_id);
  // The sweep and the histories of its trials, by ordinal, all read in one
  // transaction. NOT_FOUND ("unknown sweep N in PATH") for an unknown id.
  StatusOr<SweepHistory> GetSweepHistory(int64_t sweep_id);

  // --- Staged sweeps (store/store_stages.cc) ---------------------------------
  //
  // A sweep created with NewSweep::stages stays open while a stage is
  // waiting. The coordinator (coordinator/stage_runner.h) polls
  // StagesToAdvance, runs the stage's rule and records the result with
  // AdvanceStage (found values, evidence, and the next stage's trials, in
  // one transaction) or FailStage. All state is here: a coordinator killed
  // between stages finds the same stage to advance when it restarts.

  // The sweep's stages, in order (empty for a sweep without stages).
  StatusOr<std::vector<StageRecord>> ListStages(int64_t sweep_id);
  // Running stages of sweeps not cancelled whose trials have all ended.
  StatusOr<std::vector<StageToAdvance>> StagesToAdvance();
  // Marks the stage done with what it found and, unless it is the last,
  // inserts the next stage's trials (linking configs that already succeeded
  // unless the sweep reruns) and starts it. FAILED_PRECONDITION when the
  // stage is not running (already advanced: nothing written).
  StatusOr<CreatedSweep> AdvanceStage(const StageAdvance& advance);
  // Marks the running stage failed with `error`, the stages after it
  // skipped, and the sweep failed (event sweep_failed naming the stage).
  Status FailStage(int64_t sweep_id, int stage, const std::string& error, const std::string& evidence_json);

  // Every worker, by id, with the trials it holds now.
  StatusOr<std::vector<WorkerInfo>> ListWorkers();

  // The slot kinds of the alive workers (quarantined ones included: they
  // come back), for telling a sweep that waits for a kind nobody has.
  StatusOr<SlotKinds> AliveSlotKinds();

  // Events matching the filter, oldest first.
  StatusOr<std::vector<EventRecord>> ListEvents(const EventFilter& filter);
  // The last `limit` events (of one sweep when given), oldest first.
  StatusOr<std::vector<EventRecord>> RecentEvents(int limit,
                                                  std::optional<int64_t> sweep_id = std::nullopt);

  // PRAGMA integrity_check: OK, or DATA_LOSS with SQLite's report.
  Status CheckIntegrity();

 private:
  struct Rep;
  explicit Store(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ltsweep
