// Store: handing out queued trials (the lease hot path), repeated lease
// requests, and leases resumed after a coordinator restart.
#include <mutex>
#include <string>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

Status CheckTtl(std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) {
    return InvalidArgumentError("lease ttl must be positive, got " + std::to_string(ttl.count()) +
                                " ms");
  }
  return Status::Ok();
}

Status CheckSlotGpus(int slot_gpus) {
  if (slot_gpus < 0 || slot_gpus > kMaxGpusPerTrial) {
    return InvalidArgumentError("a slot holds 0.." + std::to_string(kMaxGpusPerTrial) + " GPUs, got " +
                                std::to_string(slot_gpus));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::optional<Lease>> Store::LeaseNextTrial(const std::string& worker_id,
                                                     std::chrono::milliseconds ttl,
                                                     const std::string& request_id, int slot_gpus) {
  LTSWEEP_RETURN_IF_ERROR(CheckTtl(ttl));
  LTSWEEP_RETURN_IF_ERROR(CheckSlotGpus(slot_gpus));
  return rep_->Write<std::optional<Lease>>(
      [&] { return rep_->LeaseNextTrialTxn(worker_id, ttl, request_id, slot_gpus); });
}

void Store::LeaseNextTrialAsync(std::string worker_id, std::chrono::milliseconds ttl,
                                std::string request_id, int slot_gpus,
                                std::function<void(StatusOr<std::optional<Lease>>)> done) {
  Status valid = CheckTtl(ttl);
  if (valid.ok()) valid = CheckSlotGpus(slot_gpus);
  if (!valid.ok()) return done(valid);
  Rep* rep = rep_.get();
  rep->WriteAsync<std::optional<Lease>>(
      [rep, worker_id = std::move(worker_id), ttl, request_id = std::move(request_id), slot_gpus] {
        return rep->LeaseNextTrialTxn(worker_id, ttl, request_id, slot_gpus);
      },
      std::move(done));
}

StatusOr<std::optional<Lease>> Store::Rep::RepeatedLease(const std::string& worker_id,
                                                         const std::string& request_id) {
  // Answered from trials_active_by_worker: the worker's few live leases.
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT t.id, t.sweep_id, t.attempts, t.lease_token, t.lease_deadline_ms, "
                  "  t.config_json, t.config_hash, s.max_attempts, s.timeout_ms, "
                  "  s.no_progress_timeout_ms "
                  "FROM trials t JOIN sweeps s ON s.id = t.sweep_id "
                  "WHERE t.worker_id = ? AND t.status IN ('leased', 'running') AND "
                  "  t.lease_request_id = ? AND t.lease_deadline_ms >= ? LIMIT 1"));
  stmt.Bind(worker_id, request_id, Now());
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<Lease>();
  Lease lease;
  lease.trial_id = stmt.Int64(0);
  lease.sweep_id = stmt.Int64(1);
  lease.attempt = stmt.Int(2);
  lease.token = stmt.Text(3);
  lease.deadline_ms = stmt.Int64(4);
  lease.config_json = stmt.Text(5);
  lease.config_hash = stmt.Text(6);
  lease.max_attempts = stmt.Int(7);
  lease.timeout_ms = stmt.Int64(8);
  lease.no_progress_timeout_ms = stmt.Int64(9);
  lease.repeated = true;
  return std::optional<Lease>(std::move(lease));
}

StatusOr<std::optional<Store::Rep::Candidate>> Store::Rep::NextQueuedTrial(
    int64_t sweep_id, const std::string& worker_id, const std::string& host) {
  using Found = std::optional<Candidate>;
  {
    // The common case, from the covering partial index trials_queued: the
    // sweep's first queued trial, when it does not avoid this worker.
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT id, attempts, config_json, config_hash, avoid_worker, avoid_host "
                    "FROM trials WHERE sweep_id = ? AND status = 'queued' ORDER BY ordinal LIMIT 1"));
    stmt.Bind(sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Found();
    if (stmt.IsNull(4) || (stmt.Text(4) != worker_id && stmt.Text(5) != host)) {
      return Found(Candidate{stmt.Int64(0), stmt.Int(1), stmt.Text(2), stmt.Text(3)});
    }
  }
  // A retry that failed here. Avoid this worker while another eligible
  // worker exists, and this host while one on another host does.
  const int64_t now = Now();
  auto exists = [&](const char* sql, const std::string& arg) -> StatusOr<bool> {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db->Prepare(sql));
    stmt.Bind(arg, now);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    return row && stmt.Int(0) != 0;
  };
  LTSWEEP_ASSIGN_OR_RETURN(
      bool other_worker,
      exists("SELECT EXISTS (SELECT 1 FROM workers WHERE status = 'alive' AND id != ? AND "
             "quarantined_until_ms <= ?)",
             worker_id));
  LTSWEEP_ASSIGN_OR_RETURN(
      bool other_host,
      exists("SELECT EXISTS (SELECT 1 FROM workers WHERE status = 'alive' AND host != ? AND "
             "quarantined_until_ms <= ?)",
             host));
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT id, attempts, config_json, config_hash FROM trials "
                  "WHERE sweep_id = ?1 AND status = 'queued' AND "
                  "(avoid_worker IS NULL OR ((avoid_worker != ?2 OR NOT ?3) AND "
                  "(coalesce(avoid_host, '') != ?4 OR NOT ?5))) ORDER BY ordinal LIMIT 1"));
  stmt.Bind(sweep_id, worker_id, other_worker, host, other_host);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Found();
  return Found(Candidate{stmt.Int64(0), stmt.Int(1), stmt.Text(2), stmt.Text(3)});
}

StatusOr<std::optional<Lease>> Store::Rep::LeaseNextTrialTxn(const std::string& worker_id,
                                                             std::chrono::milliseconds ttl,
                                                             const std::string& request_id,
                                                             int slot_gpus) {
  LTSWEEP_RETURN_IF_ERROR(TouchWorker(worker_id));
  if (!request_id.empty()) {
    LTSWEEP_ASSIGN_OR_RETURN(std::optional<Lease> repeated, RepeatedLease(worker_id, request_id));
    if (repeated) return repeated;
  }
  const int64_t now = Now();
  std::string host;
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT host, quarantined_until_ms FROM workers WHERE id = ?"));
    stmt.Bind(worker_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFoundError("unknown worker id '" + worker_id + "'; register first");
    host = stmt.Text(0);
    if (stmt.Int64(1) > now) return std::optional<Lease>();  // quarantined: idle
  }

  Lease lease;
  bool sweep_pending = false;
  {
    // Few sweeps are active at a time: pick the sweep first, then its trial;
    // the next sweep only when every queued trial of this one avoids us.
    // Only sweeps whose trials need exactly the GPUs this slot holds.
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT s.id, s.max_attempts, s.status = 'pending', s.timeout_ms, "
                    "  s.no_progress_timeout_ms FROM sweeps s "
                    "WHERE s.status IN ('pending', 'running') AND s.gpus = ? AND s.submitting = 0 AND (EXISTS ("
                    "  SELECT 1 FROM trials t WHERE t.sweep_id = s.id AND t.status = 'queued') OR "
                    "  EXISTS (SELECT 1 FROM sweep_search x WHERE x.sweep_id = s.id AND "
                    "    x.exhausted = 0 AND x.run_cap > s.n_trials)) "
                    "ORDER BY s.priority DESC, s.id ASC"));
    stmt.Bind(slot_gpus);
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return std::optional<Lease>();
      LTSWEEP_ASSIGN_OR_RETURN(std::optional<Candidate> next,
                               NextQueuedTrial(stmt.Int64(0), worker_id, host));
      // Nothing queued: a sweep made at lease time may make its next trial.
      if (!next) {
        LTSWEEP_ASSIGN_OR_RETURN(next, MakeSuggestedTrial(stmt.Int64(0)));
      }
      if (!next) continue;
      lease.trial_id = next->trial_id;
      lease.attempt = next->attempts + 1;
      lease.config_json = std::move(next->config_json);
      lease.config_hash = std::move(next->config_hash);
      lease.sweep_id = stmt.Int64(0);
      lease.max_attempts = stmt.Int(1);
      sweep_pending = stmt.Int(2) != 0;
      lease.timeout_ms = stmt.Int64(3);
      lease.no_progress_timeout_ms = stmt.Int64(4);
      break;
    }
  }
  lease.token = tokens.Next();
  lease.deadline_ms = now + ttl.count();
  {
    std::optional<std::string> request;
    if (!request_id.empty()) request = request_id;
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE trials SET status = 'leased', attempts = ?, lease_token = ?, "
                    "lease_deadline_ms = ?, worker_id = ?, lease_request_id = ?, updated_ms = ?, "
                    "started_ms = coalesce(started_ms, ?) WHERE id = ?"));
    stmt.Bind(lease.attempt, lease.token, lease.deadline_ms, worker_id, request, now, now,
              lease.trial_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("INSERT INTO attempts (trial_id, attempt, worker_id, lease_token, status, "
                    "started_ms) VALUES (?, ?, ?, ?, 'running', ?)"));
    stmt.Bind(lease.trial_id, lease.attempt, worker_id, lease.token, now);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  LTSWEEP_RETURN_IF_ERROR(AddEvent(
      "trial_leased", lease.sweep_id, lease.trial_id, worker_id, lease.attempt,
      "trial " + std::to_string(lease.trial_id) + " attempt " + std::to_string(lease.attempt) +
          " of " + std::to_string(lease.max_attempts) + " leased to " + worker_id));
  // A lease can only move a sweep from pending to running.
  if (sweep_pending) LTSWEEP_RETURN_IF_ERROR(RollUpSweep(lease.sweep_id));
  return std::optional<Lease>(std::move(lease));
}

StatusOr<int> Store::ResumeLeases(std::chrono::milliseconds ttl) {
  LTSWEEP_RETURN_IF_ERROR(CheckTtl(ttl));
  return rep_->Write<int>([&]() -> StatusOr<int> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();
    int resumed = 0;
    {
      // updated_ms is left alone: it tells whether the worker spoke since.
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE trials SET lease_deadline_ms = ? "
                      "WHERE status IN ('leased', 'running')"));
      stmt.Bind(now + ttl.count());
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      resumed = db->Changes();
    }
    {
      // Workers alive when the coordinator went down get the same grace.
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE workers SET last_seen_ms = ? WHERE status = 'alive' AND "
                      "last_seen_ms < ?"));
      stmt.Bind(now, now);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
    rep_->resumed_ms = now;
    if (resumed > 0) {
      LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
          "leases_resumed", std::nullopt, std::nullopt, "", std::nullopt,
          std::to_string(resumed) + " live lease(s) given a fresh deadline (now + " +
              std::to_string(ttl.count()) + " ms) at coordinator start"));
    }
    return resumed;
  });
}

}  // namespace ltsweep
