// Store: opening, migrations, and the helpers every part shares.
#include "store/store.h"

#include <algorithm>
#include <utility>

#include "store/migrations.h"
#include "store/store_rep.h"

namespace ltsweep {

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                             const StoreOptions& options) {
  if (path.empty()) return InvalidArgumentError("results database path is empty");
  LTSWEEP_ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite::Db> db,
      sqlite::Db::Open(path, options.read_only, static_cast<int>(options.busy_timeout.count())));
  // Before anything is written: refuse a file of another program, and (when
  // asked) a corrupt one.
  LTSWEEP_RETURN_IF_ERROR(sqlite::CheckIsResultsDb(db.get()));
  if (options.quick_check_on_open) LTSWEEP_RETURN_IF_ERROR(sqlite::QuickCheck(db.get()));
  if (options.max_page_count > 0) {
    LTSWEEP_RETURN_IF_ERROR(
        db->Exec("PRAGMA max_page_count = " + std::to_string(options.max_page_count)));
  }
  if (!options.read_only) {
    // WAL lets readers (the CLI, pandas) run beside the coordinator; NORMAL
    // sync in WAL mode loses at most the last commits on power loss, never
    // consistency, and never anything on a process crash.
    LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL"));
    LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = NORMAL"));
    LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA wal_autocheckpoint = " +
                                     std::to_string(options.wal_autocheckpoint_pages)));
  }
  // Keep the working set (queue indexes, recent metric pages) in memory;
  // sorts and temporary indexes never touch the disk.
  LTSWEEP_RETURN_IF_ERROR(
      db->Exec("PRAGMA cache_size = -" + std::to_string(options.cache_size_kib)));
  LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA temp_store = MEMORY"));
  LTSWEEP_RETURN_IF_ERROR(
      db->Exec("PRAGMA mmap_size = " + std::to_string(options.mmap_size_bytes)));
  LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  LTSWEEP_RETURN_IF_ERROR(sqlite::Migrate(db.get()));
  db->set_before_commit(options.before_commit);
  Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  sqlite::ReadPoolOptions read_options;
  read_options.max_idle = std::max(0, options.idle_read_connections);
  read_options.busy_timeout_ms = static_cast<int>(options.busy_timeout.count());
  read_options.mmap_size_bytes = options.mmap_size_bytes;
  auto rep = std::make_unique<Rep>(std::move(db), clock, options.token_seed,
                                   options.max_group_size, read_options);
  rep->submit_chunk_trials = std::max(0, options.submit_chunk_trials);
  rep->quarantine_after = std::max(0, options.quarantine_after);
  rep->quarantine_cooldown_ms = options.quarantine_cooldown.count();
  rep->suggest_trial = options.suggest_trial;
  if (!options.read_only && options.background_checkpoints) {
    LTSWEEP_ASSIGN_OR_RETURN(rep->checkpointer,
                             sqlite::WalCheckpointer::Start(
                                 rep->db.get(), options.wal_autocheckpoint_pages,
                                 static_cast<int>(options.busy_timeout.count())));
  }
  return std::unique_ptr<Store>(new Store(std::move(rep)));
}

Store::Store(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Store::~Store() = default;

int Store::LatestSchemaVersion() { return sqlite::LatestVersion(); }

const std::string& Store::path() const { return rep_->db->path(); }

StoreStats Store::stats() const {
  sqlite::GroupCommitStats g = rep_->writer.stats();
  StoreStats out;
  out.write_transactions = g.transactions;
  out.write_operations = g.operations;
  out.largest_group = g.largest_group;
  out.busy_micros = g.busy_micros;
  out.queued_writes = g.queued;
  out.checkpoints = rep_->checkpointer ? rep_->checkpointer->checkpoints() : 0;
  static_assert(sqlite::kGroupSizeBuckets == std::tuple_size<decltype(out.group_sizes)>::value);
  std::copy(std::begin(g.group_sizes), std::end(g.group_sizes), out.group_sizes.begin());
  return out;
}

Status Store::CheckIntegrity() {
  std::lock_guard<std::mutex> lock(rep_->mu);
  LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, rep_->db->Prepare("PRAGMA integrity_check"));
  std::string report;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (!report.empty()) report += "; ";
    report += stmt.Text(0);
  }
  if (report != "ok") {
    return DataLossError("results database " + path() + " failed its integrity check: " + report);
  }
  return Status::Ok();
}

// --- Rep helpers --------------------------------------------------------------

Status Store::Rep::AddEvent(const std::string& kind, std::optional<int64_t> sweep_id,
                            std::optional<int64_t> trial_id, const std::string& worker_id,
                            std::optional<int> attempt, const std::string& message) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("INSERT INTO events (time_ms, kind, sweep_id, trial_id, worker_id, attempt, "
                  "message) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  std::optional<std::string> worker;
  if (!worker_id.empty()) worker = worker_id;
  stmt.Bind(Now(), kind, sweep_id, trial_id, worker, attempt, message);
  return stmt.Run();
}

Status Store::Rep::RollUpSweep(int64_t sweep_id) {
  SweepState status;
  {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                             db->Prepare("SELECT status, submitting FROM sweeps WHERE id = ?"));
    stmt.Bind(sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFoundError("no sweep " + std::to_string(sweep_id));
    status = ParseSweepState(stmt.Text(0)).value_or(SweepState::kPending);
    if (stmt.Int(1) != 0) return Status::Ok();  // still submitting: opened when complete
  }
  if (status != SweepState::kPending && status != SweepState::kRunning) return Status::Ok();

  // Each question is answered from a partial index (trials_queued,
  // trials_active_by_sweep), so a roll-up costs the same for 10 or 100,000
  // trials until the sweep ends.
  auto exists = [this, sweep_id](const char* sql) -> StatusOr<bool> {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db->Prepare(sql));
    stmt.Bind(sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    return row && stmt.Int(0) != 0;
  };
  // A sweep made at lease time stays open while it may make more trials.
  LTSWEEP_ASSIGN_OR_RETURN(
      bool open,
      exists("SELECT EXISTS (SELECT 1 FROM trials WHERE sweep_id = ?1 AND status = 'queued') OR "
             "EXISTS (SELECT 1 FROM trials WHERE sweep_id = ?1 AND "
             "status IN ('leased', 'running')) OR "
             "EXISTS (SELECT 1 FROM sweep_search x JOIN sweeps s ON s.id = x.sweep_id "
             "WHERE x.sweep_id = ?1 AND x.exhausted = 0 AND x.run_cap > s.n_trials) OR "
             // A staged sweep stays open until its last stage has its trials.
             "EXISTS (SELECT 1 FROM sweep_stages WHERE sweep_id = ?1 AND status = 'waiting')"));
  bool started = false;
  int good = 0, total = 0;
  if (open) {
    if (status == SweepState::kRunning) return Status::Ok();
    LTSWEEP_ASSIGN_OR_RETURN(
        started, exists("SELECT EXISTS (SELECT 1 FROM trials WHERE sweep_id = ? AND "
                        "status IN ('leased', 'running', 'succeeded', 'failed'))"));
  } else {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT count(*), coalesce(sum(status IN ('succeeded', 'linked', 'stopped')), 0) "
                    "FROM trials WHERE sweep_id = ?"));
    stmt.Bind(sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
      total = stmt.Int(0);
      good = stmt.Int(1);
    }
  }

  SweepState next = status;
  if (!open) {
    next = (good > 0 || total == 0) ? SweepState::kDone : SweepState::kFailed;
  } else if (started) {
    next = SweepState::kRunning;
  }
  if (next == status) return Status::Ok();

  const int64_t now = Now();
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE sweeps SET status = ?, updated_ms = ?, "
                    "finished_ms = CASE WHEN ? THEN ? ELSE finished_ms END WHERE id = ?"));
    const bool finished = next == SweepState::kDone || next == SweepState::kFailed;
    stmt.Bind(SweepStateName(next), now, finished, now, sweep_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    if (finished) LTSWEEP_RETURN_IF_ERROR(FinishLastStage(db.get(), sweep_id, now));  // store/store_stages.cc
  }
  std::string message;
  if (next == SweepState::kRunning) {
    message = "sweep " + std::to_string(sweep_id) + " running";
  } else {
    message = "sweep " + std::to_string(sweep_id) + " " + SweepStateName(next) + ": " +
              std::to_string(good) + " of " + std::to_string(total) +
              " trials succeeded, linked or stopped early";
  }
  return AddEvent(std::string("sweep_") + SweepStateName(next), sweep_id, std::nullopt, "",
                  std::nullopt, message);
}

StatusOr<Store::Rep::LeaseState> Store::Rep::CheckLease(int64_t trial_id, const std::string& token,
                                                        const std::string& worker_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT t.sweep_id, t.status, t.attempts, s.max_attempts, t.worker_id, "
                  "  t.lease_token, t.lease_deadline_ms, s.metric_name, s.metric_goal, t.stop_requested "
                  "FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.id = ?"));
  stmt.Bind(trial_id);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFoundError("no trial " + std::to_string(trial_id));
  LeaseState lease;
  lease.trial_id = trial_id;
  lease.sweep_id = stmt.Int64(0);
  lease.state = ParseTrialState(stmt.Text(1)).value_or(TrialState::kQueued);
  lease.attempt = stmt.Int(2);
  lease.max_attempts = stmt.Int(3);
  lease.worker_id = stmt.Text(4);
  const std::string current = stmt.Text(5);
  lease.deadline_ms = stmt.OptInt64(6);
  lease.metric_name = stmt.Text(7);
  lease.metric_goal = stmt.Text(8);
  lease.stop_requested = stmt.Int(9) != 0;

  const std::string trial = "trial " + std::to_string(trial_id);
  if (lease.state != TrialState::kLeased && lease.state != TrialState::kRunning) {
    return FailedPreconditionError("lease gone: " + trial + " is " +
                                   TrialStateName(lease.state));
  }
  if (token.empty() || token != current) {
    return FailedPreconditionError("lease gone: stale token for " + trial + " (now at attempt " +
                                   std::to_string(lease.attempt) + ")");
  }
  if (!worker_id.empty() && worker_id != lease.worker_id) {
    return FailedPreconditionError("lease refused: " + trial + " was not leased to worker " + worker_id);
  }
  if (lease.deadline_ms && Now() > *lease.deadline_ms) {
    return FailedPreconditionError("lease gone: the lease of " + trial + " expired at " +
                                   std::to_string(*lease.deadline_ms) + " ms");
  }
  return lease;
}

StatusOr<int> Store::Rep::AttemptsUsed(int64_t trial_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT count(*) FROM attempts WHERE trial_id = ? AND used_try = 1 AND "
                  "status NOT IN ('interrupted', 'cancelled')"));
  stmt.Bind(trial_id);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : 0;
}

Status Store::Rep::MarkRunning(const LeaseState& lease) {
  if (lease.state != TrialState::kLeased) return Status::Ok();
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("UPDATE trials SET status = 'running', updated_ms = ? "
                  "WHERE id = ? AND status = 'leased'"));
  stmt.Bind(Now(), lease.trial_id);
  LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  return AddEvent("trial_running", lease.sweep_id, lease.trial_id, lease.worker_id,
                  lease.attempt,
                  "trial " + std::to_string(lease.trial_id) + " attempt " +
                      std::to_string(lease.attempt) + " running on " + lease.worker_id);
}

Status Store::Rep::TouchWorker(const std::string& worker_id) {
  {
    // The common case in one statement: a known worker that is alive.
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE workers SET last_seen_ms = ? WHERE id = ? AND status = 'alive'"));
    stmt.Bind(Now(), worker_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    if (db->Changes() > 0) return Status::Ok();
  }
  WorkerState status;
  {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                             db->Prepare("SELECT status FROM workers WHERE id = ?"));
    stmt.Bind(worker_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFoundError("unknown worker id '" + worker_id + "'; register first");
    status = ParseWorkerState(stmt.Text(0)).value_or(WorkerState::kAlive);
  }
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("UPDATE workers SET last_seen_ms = ?, status = 'alive' WHERE id = ?"));
  stmt.Bind(Now(), worker_id);
  LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  if (status != WorkerState::kAlive) {
    return AddEvent("worker_back", std::nullopt, std::nullopt, worker_id, std::nullopt,
                    "worker " + worker_id + " is back (was " + WorkerStateName(status) + ")");
  }
  return Status::Ok();
}

StatusOr<std::optional<Quarantine>> Store::Rep::CountFailure(const std::string& worker_id,
                                                             const std::string& error) {
  std::optional<Quarantine> none;
  int failures = 0, quarantines = 0;
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE workers SET consecutive_failures = consecutive_failures + 1, "
                    "last_error = ? WHERE id = ? "
                    "RETURNING consecutive_failures, quarantines"));
    stmt.Bind(error.substr(0, 1000), worker_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return none;
    failures = stmt.Int(0);
    quarantines = stmt.Int(1);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  if (quarantine_after <= 0 || failures < quarantine_after) return none;
  // 10 min, 20 min, 40 min, ... (the doubling stops growing after 2^20).
  Quarantine q;
  q.worker_id = worker_id;
  q.failures = failures;
  q.last_error = error;
  q.until_ms = Now() + (quarantine_cooldown_ms << std::min(quarantines, 20));
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE workers SET quarantined_until_ms = ?, quarantines = quarantines + 1, "
                    "consecutive_failures = 0 WHERE id = ?"));
    stmt.Bind(q.until_ms, worker_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  LTSWEEP_RETURN_IF_ERROR(AddEvent(
      "worker_quarantined", std::nullopt, std::nullopt, worker_id, std::nullopt,
      "worker " + worker_id + " quarantined for " +
          std::to_string((q.until_ms - Now()) / 1000) + " s after " + std::to_string(failures) +
          " failed attempts in a row; last error: " + error.substr(0, 300)));
  return std::optional<Quarantine>(std::move(q));
}

Status Store::Rep::ResetFailures(const std::string& worker_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("UPDATE workers SET consecutive_failures = 0, quarantines = 0 "
                  "WHERE id = ? AND (consecutive_failures != 0 OR quarantines != 0)"));
  stmt.Bind(worker_id);
  return stmt.Run();
}

}  // namespace ltsweep
