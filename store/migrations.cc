#include "store/migrations.h"

#include <string>

namespace ltsweep::sqlite {

namespace {

// Version 1: the first schema. Statuses are stored as their lower-case names
// (store/types.h); times are milliseconds since the Unix epoch.
const char kSchemaV1[] = R"sql(
CREATE TABLE sweeps (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL,
  spec_yaml    TEXT    NOT NULL,
  status       TEXT    NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'running', 'done', 'cancelled', 'failed')),
  priority     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  rerun        INTEGER NOT NULL DEFAULT 0 CHECK (rerun IN (0, 1)),
  metric_name  TEXT    NOT NULL DEFAULT 'val_error',
  metric_goal  TEXT    NOT NULL DEFAULT 'minimize'
               CHECK (metric_goal IN ('minimize', 'maximize')),
  n_trials     INTEGER NOT NULL,
  created_ms   INTEGER NOT NULL,
  updated_ms   INTEGER NOT NULL,
  finished_ms  INTEGER
);
CREATE INDEX sweeps_by_status ON sweeps (status, priority DESC, id);

CREATE TABLE workers (
  id            TEXT    PRIMARY KEY,
  host          TEXT    NOT NULL,
  slots         INTEGER NOT NULL CHECK (slots >= 1),
  gpus          TEXT    NOT NULL DEFAULT '[]',
  status        TEXT    NOT NULL DEFAULT 'alive'
                CHECK (status IN ('alive', 'lost', 'stopped')),
  registered_ms INTEGER NOT NULL,
  last_seen_ms  INTEGER NOT NULL
);

CREATE TABLE trials (
  id                   INTEGER PRIMARY KEY,
  sweep_id             INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
  ordinal              INTEGER NOT NULL,
  config_json          TEXT    NOT NULL,
  config_hash          TEXT    NOT NULL,
  status               TEXT    NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'leased', 'running', 'succeeded',
                                         'failed', 'cancelled', 'linked')),
  attempts             INTEGER NOT NULL DEFAULT 0,
  lease_token          TEXT,
  lease_deadline_ms    INTEGER,
  worker_id            TEXT REFERENCES workers (id),
  reused_from_trial_id INTEGER REFERENCES trials (id),
  best_metric          REAL,
  last_metric          REAL,
  best_epoch           INTEGER,
  error                TEXT,
  created_ms           INTEGER NOT NULL,
  updated_ms           INTEGER NOT NULL,
  started_ms           INTEGER,
  finished_ms          INTEGER,
  UNIQUE (sweep_id, ordinal)
);
CREATE INDEX trials_queue ON trials (sweep_id, status, ordinal);
CREATE INDEX trials_by_hash ON trials (config_hash, status);
CREATE INDEX trials_by_lease ON trials (status, lease_deadline_ms);
CREATE INDEX trials_by_worker ON trials (worker_id, status);

CREATE TABLE attempts (
  trial_id    INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL CHECK (attempt >= 1),
  worker_id   TEXT,
  lease_token TEXT    NOT NULL,
  status      TEXT    NOT NULL DEFAULT 'running'
              CHECK (status IN ('running', 'succeeded', 'failed', 'lost',
                                'interrupted', 'cancelled')),
  exit_code   INTEGER,
  error       TEXT,
  started_ms  INTEGER NOT NULL,
  ended_ms    INTEGER,
  PRIMARY KEY (trial_id, attempt)
) WITHOUT ROWID;

CREATE TABLE metrics (
  trial_id INTEGER NOT NULL,
  attempt  INTEGER NOT NULL,
  epoch    INTEGER NOT NULL,
  name     TEXT    NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, attempt, epoch, name),
  FOREIGN KEY (trial_id, attempt) REFERENCES attempts (trial_id, attempt) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE per_class_metrics (
  trial_id    INTEGER NOT NULL,
  attempt     INTEGER NOT NULL,
  epoch       INTEGER NOT NULL,
  name        TEXT    NOT NULL,
  class_index INTEGER NOT NULL,
  value       REAL,
  PRIMARY KEY (trial_id, attempt, epoch, name, class_index),
  FOREIGN KEY (trial_id, attempt) REFERENCES attempts (trial_id, attempt) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE trial_payloads (
  trial_id   INTEGER NOT NULL,
  attempt    INTEGER NOT NULL,
  epoch      INTEGER NOT NULL,
  kind       TEXT    NOT NULL,
  json       TEXT    NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (trial_id, attempt, epoch, kind),
  FOREIGN KEY (trial_id, attempt) REFERENCES attempts (trial_id, attempt) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE events (
  id        INTEGER PRIMARY KEY,
  time_ms   INTEGER NOT NULL,
  kind      TEXT    NOT NULL,
  sweep_id  INTEGER,
  trial_id  INTEGER,
  worker_id TEXT,
  attempt   INTEGER,
  message   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_by_sweep ON events (sweep_id, id);
CREATE INDEX events_by_trial ON events (trial_id, id);
)sql";

// Version 2: the trial indexes cover only the rows their queries look for
// (partial indexes), so a trial's status change rewrites two or three small
// index pages instead of four index entries spread over the whole table; the
// queue index shrinks as a sweep runs instead of growing with it.
const char kSchemaV2[] = R"sql(
DROP INDEX trials_queue;
DROP INDEX trials_by_hash;
DROP INDEX trials_by_lease;
DROP INDEX trials_by_worker;
-- The next trial of a sweep: its lowest queued ordinal.
CREATE INDEX trials_queued ON trials (sweep_id, ordinal) WHERE status = 'queued';
-- Trials holding a lease: by sweep (roll-up, cancel), by deadline (expiry),
-- by worker (heartbeats, ListWorkers).
CREATE INDEX trials_active_by_sweep ON trials (sweep_id)
  WHERE status IN ('leased', 'running');
CREATE INDEX trials_active_by_deadline ON trials (lease_deadline_ms)
  WHERE status IN ('leased', 'running');
CREATE INDEX trials_active_by_worker ON trials (worker_id)
  WHERE status IN ('leased', 'running');
-- Results to reuse: succeeded trials by config hash.
CREATE INDEX trials_succeeded_by_hash ON trials (config_hash) WHERE status = 'succeeded';
)sql";

// Version 3: fault tolerance (issue 11).
// - attempts.outcome: how the attempt ended (an AttemptOutcomeName, or
//   'lost'); attempts.used_try: 0 when it did not use up one of the trial's
//   tries (interrupted, retry elsewhere, worker fault, cancelled, lost to the
//   coordinator's own outage).
// - trials.avoid_worker / avoid_host: the worker (and its host) whose
//   attempt last failed the trial; the queue index covers them, so the lease
//   path skips such trials without reading the table.
// - trials.lease_request_id: the Lease request that granted the live lease.
// - sweeps.request_id (unique): the submission that created the sweep;
//   sweeps.timeout_ms / no_progress_timeout_ms: resources.timeout keys.
// - workers: the run of failures counting against the worker and its
//   quarantine.
// - application_id marks the file as an ltsweep database.
const char kSchemaV3[] = R"sql(
ALTER TABLE attempts ADD COLUMN outcome TEXT;
ALTER TABLE attempts ADD COLUMN used_try INTEGER NOT NULL DEFAULT 1 CHECK (used_try IN (0, 1));
UPDATE attempts SET used_try = 0 WHERE status IN ('interrupted', 'cancelled');
UPDATE attempts SET outcome = CASE status
  WHEN 'succeeded' THEN 'succeeded' WHEN 'interrupted' THEN 'interrupted'
  WHEN 'lost' THEN 'lost' WHEN 'cancelled' THEN 'cancelled' ELSE NULL END;
ALTER TABLE trials ADD COLUMN avoid_worker TEXT;
ALTER TABLE trials ADD COLUMN avoid_host TEXT;
ALTER TABLE trials ADD COLUMN lease_request_id TEXT;
DROP INDEX trials_queued;
CREATE INDEX trials_queued ON trials (sweep_id, ordinal, avoid_worker, avoid_host)
  WHERE status = 'queued';
ALTER TABLE sweeps ADD COLUMN request_id TEXT;
ALTER TABLE sweeps ADD COLUMN timeout_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN no_progress_timeout_ms INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX sweeps_by_request_id ON sweeps (request_id) WHERE request_id IS NOT NULL;
ALTER TABLE workers ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workers ADD COLUMN quarantined_until_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workers ADD COLUMN quarantines INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workers ADD COLUMN last_error TEXT;
PRAGMA application_id = 1280594775;
)sql";

// Bayesian search (issue 13): sweeps whose trials are made at lease time.
// - sweep_search: such a sweep's method ('bayes'), the sampler's seed, how
//   many trials to make (run_cap) and whether the search ran out of new
//   configurations (exhausted) or failed (error). The lease path looks for
//   sweeps with run_cap > sweeps.n_trials and exhausted = 0.
// - trial_params: for each trial made that way, the point of the search
//   space it was made from (a JSON array, one value per parameter) and what
//   it varies ({"<parameter>": value, ...}).
const char kMigrationBayes[] = R"sql(
CREATE TABLE sweep_search (
  sweep_id  INTEGER PRIMARY KEY REFERENCES sweeps (id) ON DELETE CASCADE,
  method    TEXT    NOT NULL CHECK (method IN ('bayes')),
  seed      INTEGER NOT NULL,
  run_cap   INTEGER NOT NULL CHECK (run_cap >= 1),
  exhausted INTEGER NOT NULL DEFAULT 0 CHECK (exhausted IN (0, 1)),
  error     TEXT
);
CREATE TABLE trial_params (
  trial_id    INTEGER PRIMARY KEY REFERENCES trials (id) ON DELETE CASCADE,
  point_json  TEXT    NOT NULL,
  params_json TEXT    NOT NULL
);
)sql";

// Early termination (issue 13): the early_terminate rule, and a trial
// (and attempt) state 'stopped'.
// - trials.status and attempts.status admit 'stopped'. SQLite cannot alter
//   a CHECK constraint, and rebuilding `trials` would cascade-delete every
//   attempt (foreign keys are on), so the constraint's text is widened in
//   sqlite_master (PRAGMA writable_schema, the procedure of SQLite's ALTER
//   TABLE documentation for changes that leave the stored rows valid); the
//   DDL after it bumps the schema cookie, so other connections reload.
// - sweeps.early_terminate: the resolved rule as JSON (NULL: none).
// - trials.stop_requested: the rule decided to stop the trial; heartbeats
//   tell its worker, and only such a trial may finish 'stopped'.
// - early_stop_decisions: every judgement (rung, verdict, compared with
//   what), shown by `ltsweep trial`.
const char kMigrationEarlyStop[] = R"sql(
PRAGMA writable_schema = ON;
UPDATE sqlite_master
  SET sql = replace(sql, '''cancelled'', ''linked'')', '''cancelled'', ''linked'', ''stopped'')')
  WHERE type = 'table' AND name = 'trials';
UPDATE sqlite_master
  SET sql = replace(sql, '''interrupted'', ''cancelled'')', '''interrupted'', ''cancelled'', ''stopped'')')
  WHERE type = 'table' AND name = 'attempts';
PRAGMA writable_schema = RESET;
ALTER TABLE sweeps ADD COLUMN early_terminate TEXT;
ALTER TABLE trials ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0 CHECK (stop_requested IN (0, 1));
CREATE TABLE early_stop_decisions (
  trial_id      INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
  attempt       INTEGER NOT NULL,
  epoch         INTEGER NOT NULL,
  rung          INTEGER,
  rung_epochs   INTEGER NOT NULL,
  decision      TEXT    NOT NULL CHECK (decision IN ('continue', 'stop')),
  guarded       INTEGER NOT NULL DEFAULT 0 CHECK (guarded IN (0, 1)),
  value         REAL,
  threshold     REAL,
  compared      INTEGER NOT NULL,
  compared_with TEXT    NOT NULL,
  time_ms       INTEGER NOT NULL,
  PRIMARY KEY (trial_id, attempt, epoch)
) WITHOUT ROWID;
)sql";

// Scheduling that knows devices (issue 14):
// - sweeps.gpus: resources.gpus, GPUs per trial; 0 runs on CPU slots. A lease
//   goes only to a slot holding exactly that many GPUs. Older sweeps get 0
//   (they ran on any slot, which in practice were CPU slots).
// - workers.slot_gpus: the GPU count of each of the worker's slots, as a JSON
//   list ("[0,0,1,1]"); '' for a worker registered before this version
//   (its slots are read from slots and gpus).
const char kMigrationSchedDevices[] = R"sql(
ALTER TABLE sweeps ADD COLUMN gpus INTEGER NOT NULL DEFAULT 0 CHECK (gpus BETWEEN 0 AND 64);
ALTER TABLE workers ADD COLUMN slot_gpus TEXT NOT NULL DEFAULT '';
)sql";

// Sweeps of 100,000 trials (issue 14).
// - sweeps.submitting: 1 while CreateSweep inserts a large sweep's trials in
//   chunks (between the chunks leases and heartbeats commit); such a sweep
//   is never leased from, reads as state 'submitting', and one left behind
//   by a killed process is rolled back (Store::RollBackUnfinishedSubmits).
// - sweep_trial_counts: per sweep and trial status, how many trials and the
//   sum of their train.epochs, kept by triggers in the transaction of every
//   insert, status change and delete, so status reads a few rows instead of
//   counting 100,000.
// - trials.epochs: the config's train.epochs, set at insert, so the count
//   triggers never parse JSON on the lease path.
// - trials_by_source: linked trials by the trial they reuse, so deleting a
//   trial does not scan the table for foreign-key children.
const char kMigrationLargeSweeps[] = R"sql(
ALTER TABLE sweeps ADD COLUMN submitting INTEGER NOT NULL DEFAULT 0 CHECK (submitting IN (0, 1));
ALTER TABLE trials ADD COLUMN epochs INTEGER NOT NULL DEFAULT 0;
UPDATE trials SET epochs = coalesce(CASE WHEN json_valid(config_json)
                                    THEN CAST(json_extract(config_json, '$.train.epochs') AS INTEGER) END, 0);
CREATE TABLE sweep_trial_counts (
  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
  status   TEXT    NOT NULL,
  trials   INTEGER NOT NULL,
  epochs   INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, status)
) WITHOUT ROWID;
INSERT INTO sweep_trial_counts (sweep_id, status, trials, epochs)
  SELECT sweep_id, status, count(*), sum(epochs) FROM trials GROUP BY sweep_id, status;
CREATE TRIGGER trials_count_insert AFTER INSERT ON trials BEGIN
  INSERT INTO sweep_trial_counts (sweep_id, status, trials, epochs)
  VALUES (new.sweep_id, new.status, 1, new.epochs)
  ON CONFLICT (sweep_id, status) DO UPDATE SET trials = trials + 1, epochs = epochs + excluded.epochs;
END;
CREATE TRIGGER trials_count_update AFTER UPDATE OF status ON trials
WHEN old.status IS NOT new.status BEGIN
  UPDATE sweep_trial_counts SET trials = trials - 1, epochs = epochs - old.epochs
  WHERE sweep_id = old.sweep_id AND status = old.status;
  INSERT INTO sweep_trial_counts (sweep_id, status, trials, epochs)
  VALUES (new.sweep_id, new.status, 1, new.epochs)
  ON CONFLICT (sweep_id, status) DO UPDATE SET trials = trials + 1, epochs = epochs + excluded.epochs;
END;
CREATE TRIGGER trials_count_delete AFTER DELETE ON trials BEGIN
  UPDATE sweep_trial_counts SET trials = trials - 1, epochs = epochs - old.epochs
  WHERE sweep_id = old.sweep_id AND status = old.status;
END;
CREATE INDEX trials_by_source ON trials (reused_from_trial_id)
  WHERE reused_from_trial_id IS NOT NULL;
)sql";

// Attempt runtime (issue 15): what each attempt ran with, from the
// trainer's start event (common/trainer_contract.h): LibTorch threads, the
// BLAS library and its threads, the device. NULL for attempts whose trainer
// has not reported its start (and for those written before this version).
const char kMigrationAttemptRuntime[] = R"sql(
ALTER TABLE attempts ADD COLUMN threads INTEGER;
ALTER TABLE attempts ADD COLUMN blas TEXT;
ALTER TABLE attempts ADD COLUMN blas_threads INTEGER;
ALTER TABLE attempts ADD COLUMN device TEXT;
)sql";

// Trial logs (issue 16): the last kTrialLogKeepBytes (1 MiB) of each
// attempt's trainer stderr (common/trial_logs.h), shipped by the worker in
// chunks with ReportMetrics.
// - trial_log_chunks: the chunks kept, by byte offset in the attempt's log
//   (log_offset); text: valid UTF-8; bytes: its length in bytes). Older chunks are deleted
//   once the newer ones hold kTrialLogKeepBytes without them.
// - trial_logs: per attempt, the log's end (bytes received so far: where the
//   next chunk starts) and the bytes kept in trial_log_chunks; the
//   difference was dropped (past the bound, or skipped by the worker).
const char kMigrationTrialLogs[] = R"sql(
CREATE TABLE trial_logs (
  trial_id   INTEGER NOT NULL,
  attempt    INTEGER NOT NULL,
  end_offset INTEGER NOT NULL CHECK (end_offset >= 0),
  kept_bytes INTEGER NOT NULL CHECK (kept_bytes >= 0),
  PRIMARY KEY (trial_id, attempt),
  FOREIGN KEY (trial_id, attempt) REFERENCES attempts (trial_id, attempt) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE trial_log_chunks (
  trial_id   INTEGER NOT NULL,
  attempt    INTEGER NOT NULL,
  log_offset INTEGER NOT NULL CHECK (log_offset >= 0),
  bytes      INTEGER NOT NULL CHECK (bytes > 0),
  text       TEXT    NOT NULL,
  PRIMARY KEY (trial_id, attempt, log_offset),
  FOREIGN KEY (trial_id, attempt) REFERENCES attempts (trial_id, attempt) ON DELETE CASCADE
);
)sql";

// PRAGMA application_id of an ltsweep database ("LTSW"), from version 3.
constexpr int kApplicationId = 1280594775;

StatusOr<int> IntPragma(Db* db, const std::string& sql) {
  LTSWEEP_ASSIGN_OR_RETURN(Stmt stmt, db->Prepare(sql));
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : 0;
}

}  // namespace

const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {kSchemaV1, kSchemaV2, kSchemaV3,
                                                         kMigrationBayes,
                                                         kMigrationEarlyStop,
                                                         kMigrationSchedDevices,
                                                         kMigrationAttemptRuntime,
                                                         kMigrationLargeSweeps,
                                                         kMigrationTrialLogs};
  return kMigrations;
}

int LatestVersion() { return static_cast<int>(Migrations().size()); }

StatusOr<int> SchemaVersion(Db* db) {
  LTSWEEP_ASSIGN_OR_RETURN(Stmt stmt, db->Prepare("PRAGMA user_version"));
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return InternalError("results database " + db->path() + ": no user_version");
  return stmt.Int(0);
}

Status CheckIsResultsDb(Db* db) {
  LTSWEEP_ASSIGN_OR_RETURN(int version, SchemaVersion(db));
  LTSWEEP_ASSIGN_OR_RETURN(int app_id, IntPragma(db, "PRAGMA application_id"));
  LTSWEEP_ASSIGN_OR_RETURN(
      int tables, IntPragma(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"));
  LTSWEEP_ASSIGN_OR_RETURN(
      int ours, IntPragma(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                              "name IN ('sweeps', 'trials', 'attempts', 'workers')"));
  const std::string refuse =
      "results database " + db->path() + " is not an ltsweep results database";
  const std::string advice = "; refusing to touch it (give --db a new file or an ltsweep database)";
  if (version == 0) {
    if (tables == 0) return Status::Ok();  // new or empty: created by Migrate
    return FailedPreconditionError(refuse + " (it has " + std::to_string(tables) +
                                   " table(s) but no ltsweep schema version)" + advice);
  }
  if (app_id != 0 && app_id != kApplicationId) {
    return FailedPreconditionError(refuse + " (application_id " + std::to_string(app_id) + ")" +
                                   advice);
  }
  if (version <= LatestVersion() && ours < 4) {
    return FailedPreconditionError(refuse + " (user_version " + std::to_string(version) +
                                   " but no sweeps/trials/attempts/workers tables)" + advice);
  }
  return Status::Ok();
}

Status QuickCheck(Db* db) {
  LTSWEEP_ASSIGN_OR_RETURN(Stmt stmt, db->Prepare("PRAGMA quick_check"));
  std::string report;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (report.size() < 2000) report += (report.empty() ? "" : "; ") + stmt.Text(0);
  }
  if (report == "ok") return Status::Ok();
  return DataLossError("results database " + db->path() +
                       " is corrupt (PRAGMA quick_check: " + report +
                       "); refusing to open it. Restore a backup, or recover what is readable "
                       "with `sqlite3 FILE .recover`");
}

Status Migrate(Db* db) {
  LTSWEEP_ASSIGN_OR_RETURN(int version, SchemaVersion(db));
  const int latest = LatestVersion();
  if (version > latest) {
    return FailedPreconditionError(
        "results database " + db->path() + " has schema version " + std::to_string(version) +
        ", newer than this ltsweep knows (" + std::to_string(latest) +
        "); use a newer ltsweep to open it");
  }
  if (version == latest) return Status::Ok();
  if (db->read_only()) {
    return FailedPreconditionError(
        "results database " + db->path() + " has schema version " + std::to_string(version) +
        " and needs migrating to " + std::to_string(latest) +
        ", which a read-only open cannot do; open it once read-write (e.g. start the "
        "coordinator on it)");
  }
  for (int v = version + 1; v <= latest; ++v) {
    Transaction txn(db);
    LTSWEEP_RETURN_IF_ERROR(txn.Begin());
    // Another process may have migrated while we waited for the write lock.
    LTSWEEP_ASSIGN_OR_RETURN(int now, SchemaVersion(db));
    if (now >= v) continue;
    LTSWEEP_RETURN_IF_ERROR(db->Exec(Migrations()[v - 1]));
    LTSWEEP_RETURN_IF_ERROR(db->Exec("PRAGMA user_version = " + std::to_string(v)));
    LTSWEEP_RETURN_IF_ERROR(txn.Commit());
  }
  return Status::Ok();
}

}  // namespace ltsweep::sqlite
