// Store: worker registration, heartbeats and loss detection.
#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

StatusOr<std::string> Store::RegisterWorker(const WorkerRegistration& registration) {
  if (registration.slots < 1) {
    return InvalidArgumentError("worker slots must be at least 1, got " +
                                std::to_string(registration.slots));
  }
  if (!registration.slot_gpus.empty() &&
      registration.slot_gpus.size() != static_cast<size_t>(registration.slots)) {
    return InvalidArgumentError("worker slot_gpus lists " + std::to_string(registration.slot_gpus.size()) +
                                " slot(s) but slots is " + std::to_string(registration.slots));
  }
  for (int n : registration.slot_gpus) {
    if (n < 0 || n > kMaxGpusPerTrial) {
      return InvalidArgumentError("a worker slot holds 0.." + std::to_string(kMaxGpusPerTrial) + " GPUs, got " +
                                  std::to_string(n));
    }
  }
  if (registration.host.empty() && registration.worker_id.empty()) {
    return InvalidArgumentError("a worker needs a host name or an id");
  }
  return rep_->Write<std::string>([&]() -> StatusOr<std::string> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();

    std::string id = registration.worker_id;
    if (id.empty()) id = registration.host + "-" + rep_->tokens.Next().substr(0, 8);
    const std::string host = registration.host.empty() ? id : registration.host;
    const std::string gpus = nlohmann::json(registration.gpus).dump();
    const std::string slot_gpus =
        registration.slot_gpus.empty() ? "" : nlohmann::json(registration.slot_gpus).dump();

    bool known = false;
    {
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                               db->Prepare("SELECT 1 FROM workers WHERE id = ?"));
      stmt.Bind(id);
      LTSWEEP_ASSIGN_OR_RETURN(known, stmt.Step());
    }
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare(
              "INSERT INTO workers (id, host, slots, gpus, status, registered_ms, "
              "last_seen_ms, slot_gpus) VALUES (?, ?, ?, ?, 'alive', ?, ?, ?) "
              "ON CONFLICT (id) DO UPDATE SET host = excluded.host, "
              "slots = excluded.slots, gpus = excluded.gpus, status = 'alive', "
              "registered_ms = excluded.registered_ms, last_seen_ms = excluded.last_seen_ms, "
              "slot_gpus = excluded.slot_gpus"));
      stmt.Bind(id, host, registration.slots, gpus, now, now, slot_gpus);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
    LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
        "worker_joined", std::nullopt, std::nullopt, id, std::nullopt,
        "worker " + id + (known ? " registered again" : " joined") + " from " + host + " with " +
            std::to_string(registration.slots) + " slots, gpus " + gpus));
    return id;
  });
}

StatusOr<std::vector<LeaseRenewal>> Store::Heartbeat(const std::string& worker_id,
                                                     const std::vector<HeldLease>& leases,
                                                     std::chrono::milliseconds ttl) {
  return rep_->Write<std::vector<LeaseRenewal>>(
      [&] { return rep_->HeartbeatTxn(worker_id, leases, ttl); });
}

void Store::HeartbeatAsync(std::string worker_id, std::vector<HeldLease> leases,
                           std::chrono::milliseconds ttl,
                           std::function<void(StatusOr<std::vector<LeaseRenewal>>)> done) {
  Rep* rep = rep_.get();
  rep->WriteAsync<std::vector<LeaseRenewal>>(
      [rep, worker_id = std::move(worker_id), leases = std::move(leases), ttl] {
        return rep->HeartbeatTxn(worker_id, leases, ttl);
      },
      std::move(done));
}

StatusOr<std::vector<LeaseRenewal>> Store::Rep::HeartbeatTxn(const std::string& worker_id,
                                                             const std::vector<HeldLease>& leases,
                                                             std::chrono::milliseconds ttl) {
  LTSWEEP_RETURN_IF_ERROR(TouchWorker(worker_id));
  const int64_t deadline = Now() + ttl.count();

  std::vector<LeaseRenewal> answers;
  answers.reserve(leases.size());
  for (const HeldLease& held : leases) {
    LeaseRenewal answer;
    answer.trial_id = held.trial_id;
    auto lease = CheckLease(held.trial_id, held.token, worker_id);
    if (!lease.ok()) {
      if (lease.status().code() != StatusCode::kFailedPrecondition &&
          lease.status().code() != StatusCode::kNotFound) {
        return lease.status();
      }
      answer.alive = false;
      answer.reason = lease.status().message();
      answers.push_back(std::move(answer));
      continue;
    }
    LTSWEEP_RETURN_IF_ERROR(MarkRunning(*lease));
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("UPDATE trials SET lease_deadline_ms = ?, updated_ms = ? WHERE id = ?"));
    stmt.Bind(deadline, Now(), held.trial_id);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    answer.alive = true;
    answer.deadline_ms = deadline;
    answer.stop = lease->stop_requested;
    answers.push_back(std::move(answer));
  }
  return answers;
}

StatusOr<std::vector<std::string>> Store::MarkLostWorkers(std::chrono::milliseconds timeout) {
  return rep_->Write<std::vector<std::string>>([&]() -> StatusOr<std::vector<std::string>> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();
    const int64_t cutoff = now - timeout.count();

    std::vector<std::pair<std::string, int64_t>> lost;
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("SELECT id, last_seen_ms FROM workers "
                      "WHERE status = 'alive' AND last_seen_ms < ? ORDER BY id"));
      stmt.Bind(cutoff);
      for (;;) {
        LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        lost.emplace_back(stmt.Text(0), stmt.Int64(1));
      }
    }
    std::vector<std::string> ids;
    for (const auto& [id, last_seen] : lost) {
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                               db->Prepare("UPDATE workers SET status = 'lost' WHERE id = ?"));
      stmt.Bind(id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
          "worker_lost", std::nullopt, std::nullopt, id, std::nullopt,
          "worker " + id + " lost: not seen for " + std::to_string(now - last_seen) + " ms"));
      ids.push_back(id);
    }
    return ids;
  });
}

Status Store::MarkWorkerStopped(const std::string& worker_id) {
  return rep_->Write([&]() -> Status {
    sqlite::Db* db = rep_->db.get();
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE workers SET status = 'stopped', last_seen_ms = ? WHERE id = ?"));
      stmt.Bind(rep_->Now(), worker_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      if (db->Changes() == 0) return NotFoundError("unknown worker id '" + worker_id + "'");
    }
    LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent("worker_stopped", std::nullopt, std::nullopt, worker_id,
                                           std::nullopt, "worker " + worker_id + " stopped"));
    return Status::Ok();
  });
}

}  // namespace ltsweep

namespace ltsweep {

StatusOr<bool> Store::ReleaseWorker(const std::string& worker_id) {
  return rep_->Write<bool>([&]() -> StatusOr<bool> {
    sqlite::Db* db = rep_->db.get();
    int64_t until = 0;
    {
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                               db->Prepare("SELECT quarantined_until_ms FROM workers WHERE id = ?"));
      stmt.Bind(worker_id);
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return NotFoundError("unknown worker id '" + worker_id + "'");
      until = stmt.Int64(0);
    }
    const bool quarantined = until > rep_->Now();
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE workers SET quarantined_until_ms = 0, consecutive_failures = 0 "
                      "WHERE id = ?"));
      stmt.Bind(worker_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
    if (!quarantined) return false;
    LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent("worker_released", std::nullopt, std::nullopt,
                                           worker_id, std::nullopt,
                                           "worker " + worker_id + " released from quarantine "
                                           "by hand (ltsweep workers --release)"));
    return true;
  });
}

StatusOr<std::vector<std::string>> Store::EndQuarantines() {
  return rep_->Write<std::vector<std::string>>([&]() -> StatusOr<std::vector<std::string>> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();
    std::vector<std::string> ids;
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE workers SET quarantined_until_ms = 0 "
                      "WHERE quarantined_until_ms > 0 AND quarantined_until_ms <= ? RETURNING id"));
      stmt.Bind(now);
      for (;;) {
        LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        ids.push_back(stmt.Text(0));
      }
    }
    std::sort(ids.begin(), ids.end());
    for (const std::string& id : ids) {
      LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent("worker_released", std::nullopt, std::nullopt, id,
                                             std::nullopt,
                                             "worker " + id + " out of quarantine: cool-down over"));
    }
    return ids;
  });
}

}  // namespace ltsweep
