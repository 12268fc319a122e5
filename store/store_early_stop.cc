// Store: what early termination reads (the sweep's learning curves) and
// writes (its decisions, the stop request). The rule itself is in
// search/early_stop.h and runs in the coordinator.
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

Status InsertDecision(sqlite::Db* db, int attempt, const EarlyStopRecord& r, int64_t now) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("INSERT OR REPLACE INTO early_stop_decisions (trial_id, attempt, epoch, rung, rung_epochs, "
                  "decision, guarded, value, threshold, compared, compared_with, time_ms) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  stmt.Bind(r.trial_id, attempt, r.epoch, r.rung, r.rung_epochs, r.stop ? "stop" : "continue", r.guarded, r.value,
            r.threshold, r.compared, r.compared_with, now);
  return stmt.Run();
}

}  // namespace

StatusOr<SweepCurves> Store::GetSweepCurves(int64_t trial_id, const std::string& metric, int64_t max_epoch) {
  return rep_->Read<SweepCurves>([&](sqlite::Db* db) -> StatusOr<SweepCurves> {
    SweepCurves out;
    {
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                               db->Prepare("SELECT sweep_id, config_json FROM trials WHERE id = ?"));
      stmt.Bind(trial_id);
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return NotFoundError("unknown trial " + std::to_string(trial_id) + " in " + db->path());
      out.sweep_id = stmt.Int64(0);
      out.config_json = stmt.Text(1);
    }
    // The sweep's trials by (sweep_id, ordinal), each trial's rows (a
    // linked trial's: its source's) by the metrics primary key; later
    // attempts overwrite earlier ones.
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT t.id, m.epoch, m.value FROM trials t "
                    "JOIN metrics m ON m.trial_id = coalesce(t.reused_from_trial_id, t.id) "
                    "WHERE t.sweep_id = ? AND m.name = ? AND m.epoch <= ? "
                    "ORDER BY t.id, m.attempt, m.epoch"));
    stmt.Bind(out.sweep_id, metric, max_epoch);
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      out.curves[stmt.Int64(0)][stmt.Int64(1)] = stmt.Double(2);
    }
    return out;
  });
}

Status Store::RecordEarlyStop(int64_t trial_id, const std::string& token, const EarlyStopRecord& record) {
  std::optional<Status> result;
  std::mutex mu;
  std::condition_variable cv;
  RecordEarlyStopAsync(trial_id, token, record, [&](Status s) {
    std::lock_guard<std::mutex> lock(mu);
    result = std::move(s);
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return result.has_value(); });
  return *result;
}

void Store::RecordEarlyStopAsync(int64_t trial_id, std::string token, EarlyStopRecord record,
                                 std::function<void(Status)> done) {
  Rep* rep = rep_.get();
  rep->writer.RunAsync(
      [rep, trial_id, token = std::move(token), record = std::move(record)]() -> Status {
        sqlite::Db* db = rep->db.get();
        LTSWEEP_ASSIGN_OR_RETURN(Rep::LeaseState lease, rep->CheckLease(trial_id, token));
        EarlyStopRecord r = record;
        r.trial_id = trial_id;
        LTSWEEP_RETURN_IF_ERROR(InsertDecision(db, lease.attempt, r, rep->Now()));
        if (!r.stop || lease.stop_requested) return Status::Ok();
        LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                                 db->Prepare("UPDATE trials SET stop_requested = 1, updated_ms = ? WHERE id = ?"));
        stmt.Bind(rep->Now(), trial_id);
        LTSWEEP_RETURN_IF_ERROR(stmt.Run());
        return rep->AddEvent("trial_stop_decided", lease.sweep_id, trial_id, lease.worker_id, lease.attempt,
                             "trial " + std::to_string(trial_id) + " attempt " + std::to_string(lease.attempt) +
                                 " to stop after epoch " + std::to_string(r.epoch) + ": " + r.compared_with);
      },
      std::move(done));
}

StatusOr<std::vector<EarlyStopRecord>> ReadEarlyStopDecisions(sqlite::Db* db, int64_t trial_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT attempt, epoch, rung, rung_epochs, decision, guarded, value, threshold, compared, "
                  "compared_with, time_ms FROM early_stop_decisions WHERE trial_id = ? ORDER BY attempt, epoch"));
  stmt.Bind(trial_id);
  std::vector<EarlyStopRecord> out;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    EarlyStopRecord r;
    r.trial_id = trial_id;
    r.attempt = stmt.Int(0);
    r.epoch = stmt.Int64(1);
    r.rung = stmt.OptInt(2);
    r.rung_epochs = stmt.Int64(3);
    r.stop = stmt.Text(4) == "stop";
    r.guarded = stmt.Int(5) != 0;
    r.value = stmt.Double(6);
    r.threshold = stmt.Double(7);
    r.compared = stmt.Int(8);
    r.compared_with = stmt.Text(9);
    r.time_ms = stmt.Int64(10);
    out.push_back(std::move(r));
  }
  return out;
}

StatusOr<std::vector<EarlyStopRecord>> Store::ListEarlyStopDecisions(int64_t trial_id) {
  return rep_->Read<std::vector<EarlyStopRecord>>(
      [&](sqlite::Db* db) { return ReadEarlyStopDecisions(db, trial_id); });
}

}  // namespace ltsweep
