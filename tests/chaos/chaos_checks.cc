#include "tests/chaos/chaos_checks.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>

namespace ltsweep::chaos {

namespace {

using Row = std::vector<std::string>;  // NULL reads as ""

// Runs `sql` with `args` bound as text; every row, or an error naming the
// database.
StatusOr<std::vector<Row>> Query(sqlite3* db, const std::string& sql, const Row& args = {}) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return InternalError(fmt::format("{}: {}", sql, sqlite3_errmsg(db)));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  for (size_t i = 0; i < args.size(); ++i) {
    sqlite3_bind_text(raw, static_cast<int>(i + 1), args[i].c_str(), -1, SQLITE_TRANSIENT);
  }
  std::vector<Row> rows;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    Row row;
    for (int c = 0; c < sqlite3_column_count(raw); ++c) {
      const unsigned char* text = sqlite3_column_text(raw, c);
      row.push_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return InternalError(fmt::format("{}: {}", sql, sqlite3_errmsg(db)));
  return rows;
}

StatusOr<int> Count(sqlite3* db, const std::string& sql, const Row& args = {}) {
  LTSWEEP_ASSIGN_OR_RETURN(auto rows, Query(db, sql, args));
  return rows.empty() ? 0 : std::atoi(rows[0][0].c_str());
}

// Trials, successes, lost trials, duplicate successes and rows, histories.
Status CheckTrials(sqlite3* db, const CheckOptions& o, CheckResult* r) {
  const Row sweep = {std::to_string(o.sweep_id)};
  LTSWEEP_ASSIGN_OR_RETURN(r->trials, Count(db,
      "SELECT count(*) FROM trials WHERE sweep_id = CAST(?1 AS INTEGER)", sweep));
  LTSWEEP_ASSIGN_OR_RETURN(r->succeeded, Count(db,
      "SELECT count(*) FROM trials WHERE sweep_id = CAST(?1 AS INTEGER) AND status = 'succeeded'", sweep));
  r->lost = r->trials - r->succeeded;
  LTSWEEP_ASSIGN_OR_RETURN(auto lost, Query(db,
      "SELECT id, status, attempts, coalesce(error, '') FROM trials "
      "WHERE sweep_id = CAST(?1 AS INTEGER) AND status != 'succeeded' ORDER BY id LIMIT 5", sweep));
  for (const Row& t : lost) {
    r->lost_examples.push_back(fmt::format("trial {}: {} after {} attempts: {}", t[0], t[1], t[2], t[3]));
  }
  LTSWEEP_ASSIGN_OR_RETURN(r->duplicate_successes, Count(db,
      "SELECT count(*) FROM (SELECT trial_id FROM attempts WHERE status = 'succeeded' "
      "GROUP BY trial_id HAVING count(*) > 1)"));
  LTSWEEP_ASSIGN_OR_RETURN(int dup_scalars, Count(db,
      "SELECT count(*) FROM (SELECT 1 FROM metrics GROUP BY trial_id, attempt, epoch, name HAVING count(*) > 1)"));
  LTSWEEP_ASSIGN_OR_RETURN(int dup_classes, Count(db,
      "SELECT count(*) FROM (SELECT 1 FROM per_class_metrics "
      "GROUP BY trial_id, attempt, epoch, name, class_index HAVING count(*) > 1)"));
  r->duplicate_rows = dup_scalars + dup_classes;
  const Row sweep_epochs = {sweep[0], std::to_string(o.epochs)};
  LTSWEEP_ASSIGN_OR_RETURN(r->incomplete, Count(db,
      "SELECT count(*) FROM trials t WHERE t.sweep_id = CAST(?1 AS INTEGER) AND t.status = 'succeeded' AND ("
      "SELECT count(DISTINCT epoch) FROM metrics m WHERE m.trial_id = t.id AND m.name = 'val_error') "
      "!= CAST(?2 AS INTEGER)",
      sweep_epochs));
  return Status::Ok();
}

// Writes the database accepted from an attempt after it had ended, and
// attempts whose leases overlapped.
Status CheckFencing(sqlite3* db, CheckResult* r) {
  LTSWEEP_ASSIGN_OR_RETURN(auto late_payloads, Query(db,
      "SELECT p.trial_id, p.attempt, p.kind, p.created_ms - a.ended_ms FROM trial_payloads p "
      "JOIN attempts a ON a.trial_id = p.trial_id AND a.attempt = p.attempt "
      "WHERE a.ended_ms IS NOT NULL AND p.created_ms > a.ended_ms"));
  for (const Row& p : late_payloads) {
    r->stale_examples.push_back(
        fmt::format("trial {} attempt {}: '{}' payload written {} ms after the attempt ended", p[0], p[1], p[2], p[3]));
  }
  LTSWEEP_ASSIGN_OR_RETURN(auto old_success, Query(db,
      "SELECT t.id, a.attempt, t.attempts FROM trials t JOIN attempts a ON a.trial_id = t.id "
      "WHERE a.status = 'succeeded' AND a.attempt != t.attempts"));
  for (const Row& t : old_success) {
    r->stale_examples.push_back(
        fmt::format("trial {}: attempt {} accepted as the success while attempt {} was the current one", t[0], t[1],
                    t[2]));
  }
  r->stale_writes = static_cast<int>(late_payloads.size() + old_success.size());
  LTSWEEP_ASSIGN_OR_RETURN(auto overlaps, Query(db,
      "SELECT a.trial_id, a.attempt, b.attempt FROM attempts a JOIN attempts b "
      "ON b.trial_id = a.trial_id AND b.attempt = a.attempt + 1 "
      "WHERE a.ended_ms IS NULL OR a.ended_ms > b.started_ms"));
  r->lease_overlaps = static_cast<int>(overlaps.size());
  for (const Row& o : overlaps) {
    r->overlap_examples.push_back(
        fmt::format("trial {}: attempt {} was leased before attempt {} ended (database)", o[0], o[2], o[1]));
  }
  return Status::Ok();
}

// Was `worker` quarantined, and how many trials did it harm?
StatusOr<WorkerVerdict> JudgeWorker(sqlite3* db, const std::string& worker) {
  WorkerVerdict v;
  v.worker_id = worker;
  LTSWEEP_ASSIGN_OR_RETURN(v.harmed, Count(db,
      "SELECT count(DISTINCT trial_id) FROM attempts WHERE worker_id = ?1 AND status != 'succeeded'", {worker}));
  LTSWEEP_ASSIGN_OR_RETURN(v.attempts, Count(db, "SELECT count(*) FROM attempts WHERE worker_id = ?1", {worker}));
  LTSWEEP_ASSIGN_OR_RETURN(int has_column, Count(db,
      "SELECT count(*) FROM pragma_table_info('workers') WHERE name = 'quarantines'"));
  if (has_column > 0) {
    LTSWEEP_ASSIGN_OR_RETURN(int times, Count(db, "SELECT quarantines FROM workers WHERE id = ?1", {worker}));
    LTSWEEP_ASSIGN_OR_RETURN(int now, Count(db,
        "SELECT quarantined_until_ms > 0 FROM workers WHERE id = ?1", {worker}));
    v.quarantined = times > 0 || now > 0;
    v.how = fmt::format("workers.quarantines = {}", times);
  }
  LTSWEEP_ASSIGN_OR_RETURN(int events, Count(db,
      "SELECT count(*) FROM events WHERE worker_id = ?1 AND kind LIKE '%quarantin%'", {worker}));
  if (events > 0) {
    v.quarantined = true;
    v.how += fmt::format("{}{} quarantine events", v.how.empty() ? "" : ", ", events);
  }
  if (v.how.empty()) v.how = "no quarantine column or event in the database";
  return v;
}

void Fail(CheckResult* r, bool failed, const std::string& what) {
  if (failed) r->failures.push_back(what);
}

void Judge(const CheckOptions& o, CheckResult* r) {
  Fail(r, r->trials == 0, "the sweep has no trials");
  Fail(r, r->lost > 0, fmt::format("{} of {} trials did not succeed", r->lost, r->trials));
  Fail(r, r->duplicate_successes > 0, fmt::format("{} trials succeeded more than once", r->duplicate_successes));
  Fail(r, r->duplicate_rows > 0, fmt::format("{} metric keys hold more than one row", r->duplicate_rows));
  Fail(r, r->incomplete > 0, fmt::format("{} succeeded trials miss an epoch of val_error", r->incomplete));
  Fail(r, r->lease_overlaps > 0, fmt::format("{} attempts were leased before the one before ended", r->lease_overlaps));
  Fail(r, r->trace_overlaps > 0,
       fmt::format("{} pairs of trainer runs of one trial ran at the same time", r->trace_overlaps));
  Fail(r, r->stale_writes > 0, fmt::format("{} stale writes accepted", r->stale_writes));
  Fail(r, r->integrity != "ok", "integrity_check: " + r->integrity);
  for (const std::string& w : r->healthy_quarantined) {
    Fail(r, true, fmt::format("healthy worker {} was quarantined (lost leases must not count)", w));
  }
  for (const WorkerVerdict& w : r->bad_workers) {
    Fail(r, !w.quarantined, fmt::format("worker {} was not quarantined ({})", w.worker_id, w.how));
    Fail(r, w.harmed > o.max_harmed,
         fmt::format("worker {} harmed {} trials (at most {} allowed)", w.worker_id, w.harmed, o.max_harmed));
  }
}

}  // namespace

StatusOr<CheckResult> RunChecks(const CheckOptions& options, const TrainerTrace& trace) {
  sqlite3* raw = nullptr;
  const std::string uri = "file:" + options.db_path + "?mode=ro";
  const int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  if (rc != SQLITE_OK) return UnavailableError(options.db_path + ": " + sqlite3_errstr(rc));
  CheckResult r;
  LTSWEEP_RETURN_IF_ERROR(CheckTrials(raw, options, &r));
  LTSWEEP_RETURN_IF_ERROR(CheckFencing(raw, &r));
  for (const std::string& w : options.bad_workers) {
    LTSWEEP_ASSIGN_OR_RETURN(WorkerVerdict v, JudgeWorker(raw, w));
    r.bad_workers.push_back(v);
  }
  LTSWEEP_ASSIGN_OR_RETURN(auto quarantines, Query(raw,
      "SELECT worker_id, count(*) FROM events WHERE kind LIKE '%quarantined%' GROUP BY worker_id ORDER BY worker_id"));
  for (const Row& q : quarantines) {
    r.quarantine_events += fmt::format("{}{} {}", r.quarantine_events.empty() ? "" : ", ", q[0], q[1]);
    const auto listed = [&](const std::vector<std::string>& ids) {
      return std::find(ids.begin(), ids.end(), q[0]) != ids.end();
    };
    if (!listed(options.bad_workers) && !listed(options.may_be_quarantined)) r.healthy_quarantined.push_back(q[0]);
  }
  LTSWEEP_ASSIGN_OR_RETURN(auto integrity, Query(raw, "PRAGMA integrity_check"));
  for (const Row& line : integrity) r.integrity += (r.integrity.empty() ? "" : "; ") + line[0];
  for (const TrainerRun& run : trace.Runs()) {
    ++r.trainer_runs;
    if (!run.end_line) ++r.trainer_runs_killed;
  }
  for (const Overlap& o : trace.Overlaps()) {
    const bool excused = o.after_thaw && o.overlap_ms < options.thaw_grace_ms;
    if (excused) {
      ++r.trace_overlaps_after_thaw;
      r.longest_after_thaw_ms = std::max(r.longest_after_thaw_ms, o.overlap_ms);
    } else {
      ++r.trace_overlaps;
    }
    if (r.overlap_examples.size() < 8) {
      r.overlap_examples.push_back(fmt::format("trial {}: {} and {} ran together for {:.3f} ms{}", o.trial_id, o.first,
                                               o.second, o.overlap_ms, o.after_thaw ? " (after a thaw)" : ""));
    }
  }
  Judge(options, &r);
  return r;
}

}  // namespace ltsweep::chaos
