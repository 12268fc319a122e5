// The inside of a Store, shared by the store_*.cc files that implement its
// parts (sweeps, workers, leases, queries). Internal to store/.
//
// Thread-safety: every member is guarded by mu except `readers` (a pool of
// read connections, thread-safe itself); Store's read methods run on a
// connection of that pool (Read(), no lock held), write methods run their
// body through Write() (group commit: the leader holds mu), and the helpers
// here that take no Db* expect mu held.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/group_commit.h"
#include "store/lease_token.h"
#include "store/read_pool.h"
#include "store/sqlite_db.h"
#include "store/wal_checkpointer.h"
#include "store/store.h"
#include "store/types.h"

namespace ltsweep {

// Row readers shared by the queries (store/store_rows.cc); each expects a
// read or write transaction open on `db`.

// Column lists and readers for the queries that return SweepRecords and
// TrialRecords: "SELECT " + kTrialColumns + " FROM trials WHERE ...".
extern const char kSweepColumns[];
SweepRecord ReadSweepRow(const sqlite::Stmt& stmt);
extern const char kTrialColumns[];
TrialRecord ReadTrialRow(const sqlite::Stmt& stmt);

// The sweep or trial with this id; nullopt when there is none.
StatusOr<std::optional<SweepRecord>> ReadSweep(sqlite::Db* db, int64_t sweep_id);
StatusOr<std::optional<TrialRecord>> ReadTrial(sqlite::Db* db, int64_t trial_id);
// The sweep's trials, by ordinal.
StatusOr<std::vector<TrialRecord>> ReadSweepTrials(sqlite::Db* db, int64_t sweep_id);

// Every attempt of the trial, oldest first.
StatusOr<std::vector<AttemptRecord>> ReadAttempts(sqlite::Db* db, int64_t trial_id);

// Whose metric rows a trial reads: its own, or for a linked trial its
// source's; and that trial's latest attempt. NOT_FOUND for an unknown trial.
struct MetricsSource {
  int64_t trial_id = 0;
  int latest_attempt = 0;
};
StatusOr<MetricsSource> ResolveMetricsSource(sqlite::Db* db, int64_t trial_id);

// The early-termination decisions about `trial_id`, by attempt and epoch
// (store/store_early_stop.cc).
StatusOr<std::vector<EarlyStopRecord>> ReadEarlyStopDecisions(sqlite::Db* db, int64_t trial_id);

// Fills out.metrics, out.per_class and out.payloads with the rows of
// (out.source_trial_id, out.attempt).
Status ReadAttemptRows(sqlite::Db* db, TrialMetrics& out);

// Trial logs (store/store_trial_logs.cc). Why a log chunk of a report is
// refused ("" when it is fine: offset in range, 1..kTrialLogChunkBytes of
// valid UTF-8).
std::string LogChunkRejection(const LogChunk& chunk);
// Keeps the chunks of the attempt's log: parts already received are
// skipped (a re-sent chunk changes nothing), and the oldest chunks go once
// the attempt holds more than kTrialLogKeepBytes without them. Inside the
// report's write, after its lease check.
Status AppendLogChunks(sqlite::Db* db, int64_t trial_id, int attempt, std::vector<LogChunk> chunks);

// The attempts and merged metrics of `trial` (store/store_history.cc).
StatusOr<TrialHistory> ReadTrialHistory(sqlite::Db* db, TrialRecord trial);

// How many trials of the sweep are in each state, and their epochs, from
// sweep_trial_counts (kept by triggers).
StatusOr<TrialCounts> ReadTrialCounts(sqlite::Db* db, int64_t sweep_id);

struct Store::Rep {
  Rep(std::unique_ptr<sqlite::Db> db_in, Clock* clock_in, std::optional<uint64_t> seed,
      int max_group, sqlite::ReadPoolOptions read_options)
      : db(std::move(db_in)),
        clock(clock_in),
        tokens(seed),
        writer(db.get(), &mu, max_group),
        readers(db->path(), read_options) {}

  std::mutex mu;
  std::unique_ptr<sqlite::Db> db;  // GUARDED_BY(mu)
  Clock* clock;                    // borrowed
  // StoreOptions::quarantine_after / quarantine_cooldown.
  int quarantine_after = 0;
  int64_t quarantine_cooldown_ms = 0;
  // When ResumeLeases() last ran (0: never): a resumed lease whose worker
  // has not spoken since was lost to the coordinator's own outage
  // (ExpireLeases).
  int64_t resumed_ms = 0;
  // StoreOptions::suggest_trial (may be empty).
  TrialSuggester suggest_trial;
  LeaseTokenSource tokens;         // GUARDED_BY(mu)
  sqlite::GroupCommit writer;      // runs write bodies with mu held
  sqlite::ReadPool readers;        // thread-safe; the read queries' connections
  // StoreOptions::submit_chunk_trials.
  int submit_chunk_trials = 0;
  // Background WAL checkpoints (nullptr when read-only or turned off);
  // declared after db so that it stops before the connection closes.
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer;

  int64_t Now() const { return clock->NowMillis(); }

  // Runs `body` in a write transaction (shared with concurrent writers, each
  // body in its own savepoint; see store/group_commit.h) and returns its
  // result, or the commit's error. The body runs with mu held, possibly on
  // another thread; a non-OK result rolls back what it wrote.
  Status Write(const std::function<Status()>& body) { return writer.Run(body); }
  template <typename T>
  StatusOr<T> Write(const std::function<StatusOr<T>()>& body) {
    std::optional<StatusOr<T>> result;
    Status status = writer.Run([&]() -> Status {
      result.emplace(body());
      return result->status();
    });
    if (!status.ok()) return status;
    return std::move(*result);
  }
  // Runs `body` in a read transaction on a read connection of its own (a
  // consistent snapshot of the last commit; it neither takes mu nor waits
  // for the writer) and returns its result, or the commit's error.
  template <typename T>
  StatusOr<T> Read(const std::function<StatusOr<T>(sqlite::Db*)>& body) {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::ReadPool::Conn conn, readers.Get());
    sqlite::Transaction txn(conn.get(), sqlite::Transaction::Kind::kRead);
    LTSWEEP_RETURN_IF_ERROR(txn.Begin());
    StatusOr<T> result = body(conn.get());
    if (!result.ok()) return result;
    LTSWEEP_RETURN_IF_ERROR(txn.Commit());
    return result;
  }
  // Queues `body` without waiting (GroupCommit::RunAsync); `done` gets its
  // result, or the commit's error, once the group has committed.
  template <typename T>
  void WriteAsync(std::function<StatusOr<T>()> body, std::function<void(StatusOr<T>)> done) {
    auto result = std::make_shared<std::optional<StatusOr<T>>>();
    writer.RunAsync(
        [result, body = std::move(body)]() -> Status {
          result->emplace(body());
          return (*result)->status();
        },
        [result, done = std::move(done)](Status status) {
          if (!status.ok() || !result->has_value()) return done(StatusOr<T>(std::move(status)));
          done(std::move(**result));
        });
  }

  // The bodies of the worker-path writes, shared by their blocking and
  // asynchronous forms; each runs inside a write transaction with mu held.
  StatusOr<std::optional<Lease>> LeaseNextTrialTxn(const std::string& worker_id,
                                                   std::chrono::milliseconds ttl,
                                                   const std::string& request_id, int slot_gpus);
  Status ReportMetricsTxn(int64_t trial_id, const std::string& token, const MetricBatch& batch);
  StatusOr<FinishResult> FinishAttemptTxn(int64_t trial_id, const std::string& token,
                                          const FinishRequest& request);
  StatusOr<std::vector<LeaseRenewal>> HeartbeatTxn(const std::string& worker_id,
                                                   const std::vector<HeldLease>& leases,
                                                   std::chrono::milliseconds ttl);

  // Appends one row to events.
  Status AddEvent(const std::string& kind, std::optional<int64_t> sweep_id,
                  std::optional<int64_t> trial_id, const std::string& worker_id,
                  std::optional<int> attempt, const std::string& message);

  // The sweep_submitted event and the first roll-up of a new sweep (one of
  // linked trials only is done at once); inside a write.
  Status OpenSweep(const NewSweep& sweep, const CreatedSweep& created);
  // Removes a sweep that is still 'submitting' and its trials, in chunks of
  // submit_chunk_trials (one write each), with a sweep_submit_rolled_back
  // event. Takes the writer itself: call it outside a write.
  Status RollBackSubmit(int64_t sweep_id);

  // The trial's sweep state after a change: pending -> running on the first
  // lease; done/failed when every trial is terminal. Cancelled sweeps stay.
  Status RollUpSweep(int64_t sweep_id);

  // The lease state of a trial, for fencing.
  struct LeaseState {
    int64_t trial_id = 0;
    int64_t sweep_id = 0;
    TrialState state = TrialState::kQueued;
    int attempt = 0;
    int max_attempts = 0;
    std::string worker_id;
    std::optional<int64_t> deadline_ms;
    std::string metric_name;  // the sweep's
    std::string metric_goal;
    bool stop_requested = false;  // early termination decided to stop it
  };
  // The trial's lease when `token` is its live token (leased or running, the
  // deadline not passed); FAILED_PRECONDITION "lease gone: ..." otherwise,
  // NOT_FOUND for an unknown trial.
  // `worker_id` not empty: the lease must also have been issued to that
  // worker (a valid token from another worker is refused).
  StatusOr<LeaseState> CheckLease(int64_t trial_id, const std::string& token,
                                  const std::string& worker_id = "");

  // Tries of the trial that count towards max_attempts: its attempts so far
  // (the current one included) except those interrupted by their worker or
  // cancelled with their sweep.
  StatusOr<int> AttemptsUsed(int64_t trial_id);

  // Takes back one expired lease (ExpireLeases): closes its attempt as
  // lost, requeues or fails the trial, counts it against the worker. Fills
  // lease.requeued, used_try and quarantine.
  Status ExpireOne(ExpiredLease& lease, int64_t sweep_id, int max_attempts, int64_t deadline_ms,
                   int64_t updated_ms);

  // The trial_succeeded / trial_retried / trial_failed event of a finish.
  Status AddFinishEvent(const LeaseState& lease, const FinishRequest& request,
                        const FinishResult& result, const std::string& error);

  // Keeps what an attempt runs with (MetricBatch::runtime) on its row.
  Status WriteAttemptRuntime(int64_t trial_id, int attempt, const AttemptRuntime& rt);

  // Marks a leased trial running (first sign of life from the trainer).
  Status MarkRunning(const LeaseState& lease);

  // Makes sure the worker exists; marks it seen now (and alive again).
  Status TouchWorker(const std::string& worker_id);

  // One more failure counting against the worker (crash, retry elsewhere,
  // worker fault, lost lease): its run grows and its last error is kept;
  // at quarantine_after in a row it is quarantined (event and the returned
  // Quarantine). An unknown worker id is ignored.
  StatusOr<std::optional<Quarantine>> CountFailure(const std::string& worker_id,
                                                   const std::string& error);
  // A success: the worker's run of failures and its quarantine count reset.
  Status ResetFailures(const std::string& worker_id);

  // The live lease of `worker_id` granted for `request_id`, if any.
  StatusOr<std::optional<Lease>> RepeatedLease(const std::string& worker_id,
                                               const std::string& request_id);
  // The first queued trial of the sweep that `worker_id` on `host` may take
  // (see Store::LeaseNextTrial); nullopt when none.
  struct Candidate {
    int64_t trial_id = 0;
    int attempts = 0;
    std::string config_json;
    std::string config_hash;
  };
  StatusOr<std::optional<Candidate>> NextQueuedTrial(int64_t sweep_id, const std::string& worker_id,
                                                     const std::string& host);
  // For a sweep made at lease time (store/store_search.cc): asks the
  // suggester for trials until one is queued (returned), run_cap is reached
  // or the search ends (nullopt). Trials whose config already succeeded are
  // linked (unless the sweep reruns) and the suggester is asked again.
  StatusOr<std::optional<Candidate>> MakeSuggestedTrial(int64_t sweep_id);
};

}  // namespace ltsweep
