// Store: read-only queries (what `ltsweep status`, `results` and `trial` show).
#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

// The bodies of the read queries below, each run inside one read
// transaction (Rep::Read).

StatusOr<SweepInfo> GetSweepTxn(sqlite::Db* db, int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(std::optional<SweepRecord> sweep, ReadSweep(db, sweep_id));
  if (!sweep) return NotFoundError("no sweep " + std::to_string(sweep_id));
  SweepInfo info;
  info.sweep = std::move(*sweep);
  LTSWEEP_ASSIGN_OR_RETURN(info.counts, ReadTrialCounts(db, sweep_id));
  return info;
}

StatusOr<std::vector<SweepInfo>> ListSweepsTxn(sqlite::Db* db, int limit) {
  std::vector<SweepInfo> sweeps;
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare(std::string("SELECT ") + kSweepColumns +
                    " FROM sweeps ORDER BY id DESC LIMIT ?"));
    stmt.Bind(static_cast<int64_t>(limit > 0 ? limit : -1));
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      sweeps.push_back({ReadSweepRow(stmt), {}});
    }
  }
  for (SweepInfo& info : sweeps) {
    LTSWEEP_ASSIGN_OR_RETURN(info.counts, ReadTrialCounts(db, info.sweep.id));
  }
  return sweeps;
}

StatusOr<TrialInfo> GetTrialTxn(sqlite::Db* db, int64_t trial_id) {
  LTSWEEP_ASSIGN_OR_RETURN(std::optional<TrialRecord> trial, ReadTrial(db, trial_id));
  if (!trial) return NotFoundError("no trial " + std::to_string(trial_id));
  TrialInfo info;
  info.trial = std::move(*trial);
  LTSWEEP_ASSIGN_OR_RETURN(info.attempts, ReadAttempts(db, trial_id));
  return info;
}

StatusOr<std::vector<TrialRecord>> ListTrialsTxn(sqlite::Db* db, int64_t sweep_id) {
  {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db->Prepare("SELECT 1 FROM sweeps WHERE id = ?"));
    stmt.Bind(sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFoundError("no sweep " + std::to_string(sweep_id));
  }
  LTSWEEP_ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, ReadSweepTrials(db, sweep_id));
  return trials;
}

StatusOr<TrialMetrics> GetMetricsTxn(sqlite::Db* db, int64_t trial_id, std::optional<int> attempt) {
  LTSWEEP_ASSIGN_OR_RETURN(MetricsSource source, ResolveMetricsSource(db, trial_id));
  TrialMetrics out;
  out.trial_id = trial_id;
  out.source_trial_id = source.trial_id;
  out.attempt = attempt.value_or(source.latest_attempt);
  LTSWEEP_RETURN_IF_ERROR(ReadAttemptRows(db, out));
  return out;
}

StatusOr<std::vector<WorkerInfo>> ListWorkersTxn(sqlite::Db* db) {
  std::vector<WorkerInfo> workers;
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT id, host, slots, gpus, status, registered_ms, last_seen_ms, "
                    "quarantined_until_ms, quarantines, consecutive_failures, last_error "
                    "FROM workers ORDER BY id"));
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      WorkerInfo info;
      info.worker.id = stmt.Text(0);
      info.worker.host = stmt.Text(1);
      info.worker.slots = stmt.Int(2);
      auto gpus = nlohmann::json::parse(stmt.Text(3), nullptr, /*allow_exceptions=*/false);
      if (gpus.is_array()) {
        for (const auto& g : gpus) {
          if (g.is_number_integer()) info.worker.gpus.push_back(g.get<int>());
        }
      }
      info.worker.state = ParseWorkerState(stmt.Text(4)).value_or(WorkerState::kAlive);
      info.worker.registered_ms = stmt.Int64(5);
      info.worker.last_seen_ms = stmt.Int64(6);
      info.worker.quarantined_until_ms = stmt.Int64(7);
      info.worker.quarantines = stmt.Int(8);
      info.worker.consecutive_failures = stmt.Int(9);
      info.worker.last_error = stmt.Text(10);
      workers.push_back(std::move(info));
    }
  }
  for (WorkerInfo& info : workers) {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT id FROM trials WHERE worker_id = ? AND "
                    "status IN ('leased', 'running') ORDER BY id"));
    stmt.Bind(info.worker.id);
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      info.current_trials.push_back(stmt.Int64(0));
    }
  }
  return workers;
}

}  // namespace

StatusOr<SweepInfo> Store::GetSweep(int64_t sweep_id) {
  return rep_->Read<SweepInfo>([&](sqlite::Db* db) { return GetSweepTxn(db, sweep_id); });
}

StatusOr<std::vector<SweepInfo>> Store::ListSweeps(int limit) {
  return rep_->Read<std::vector<SweepInfo>>(
      [&](sqlite::Db* db) { return ListSweepsTxn(db, limit); });
}

StatusOr<TrialInfo> Store::GetTrial(int64_t trial_id) {
  return rep_->Read<TrialInfo>([&](sqlite::Db* db) { return GetTrialTxn(db, trial_id); });
}

StatusOr<std::vector<TrialRecord>> Store::ListTrials(int64_t sweep_id) {
  return rep_->Read<std::vector<TrialRecord>>(
      [&](sqlite::Db* db) { return ListTrialsTxn(db, sweep_id); });
}

StatusOr<TrialMetrics> Store::GetMetrics(int64_t trial_id, std::optional<int> attempt) {
  return rep_->Read<TrialMetrics>(
      [&](sqlite::Db* db) { return GetMetricsTxn(db, trial_id, attempt); });
}

StatusOr<std::vector<WorkerInfo>> Store::ListWorkers() {
  return rep_->Read<std::vector<WorkerInfo>>([&](sqlite::Db* db) { return ListWorkersTxn(db); });
}

namespace {

EventRecord ReadEventRow(const sqlite::Stmt& stmt) {
  EventRecord e;
  e.id = stmt.Int64(0);
  e.time_ms = stmt.Int64(1);
  e.kind = stmt.Text(2);
  e.sweep_id = stmt.OptInt64(3);
  e.trial_id = stmt.OptInt64(4);
  e.worker_id = stmt.Text(5);
  e.attempt = stmt.OptInt(6);
  e.message = stmt.Text(7);
  return e;
}

}  // namespace

StatusOr<std::vector<EventRecord>> Store::ListEvents(const EventFilter& filter) {
  return rep_->Read<std::vector<EventRecord>>(
      [&](sqlite::Db* db) -> StatusOr<std::vector<EventRecord>> {
  // One statement per filter shape, so each can use its index.
  const char* where = "id > ?1";
  std::optional<int64_t> key;
  if (filter.trial_id) {
    where = "trial_id = ?2 AND id > ?1";
    key = filter.trial_id;
  } else if (filter.sweep_id) {
    where = "sweep_id = ?2 AND id > ?1";
    key = filter.sweep_id;
  }
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare(std::string("SELECT id, time_ms, kind, sweep_id, trial_id, worker_id, attempt, "
                              "message FROM events WHERE ") +
                  where + " AND (?3 IS NULL OR sweep_id = ?3) ORDER BY id LIMIT ?4"));
  stmt.Bind(filter.after_id, key, filter.sweep_id,
            static_cast<int64_t>(filter.limit > 0 ? filter.limit : -1));
  std::vector<EventRecord> events;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    events.push_back(ReadEventRow(stmt));
  }
  return events;
      });
}

StatusOr<std::vector<EventRecord>> Store::RecentEvents(int limit,
                                                       std::optional<int64_t> sweep_id) {
  return rep_->Read<std::vector<EventRecord>>(
      [&](sqlite::Db* db) -> StatusOr<std::vector<EventRecord>> {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT id, time_ms, kind, sweep_id, trial_id, worker_id, attempt, message "
                  "FROM events WHERE (? IS NULL OR sweep_id = ?) ORDER BY id DESC LIMIT ?"));
  stmt.Bind(sweep_id, sweep_id, static_cast<int64_t>(limit > 0 ? limit : -1));
  std::vector<EventRecord> events;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    events.push_back(ReadEventRow(stmt));
  }
  std::reverse(events.begin(), events.end());
  return events;
      });
}

}  // namespace ltsweep
