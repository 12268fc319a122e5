// Store: staged sweeps (`stages:`, spec/stages.h) -- the stage rows of a new
// sweep, the stages ready for their rule, and recording what a stage found
// together with the next stage's trials in one transaction (store/store.h).
#include <string>
#include <vector>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

Status InsertSweepStages(sqlite::Db* db, int64_t sweep_id, const NewSweep& sweep, int64_t now) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("INSERT INTO sweep_stages (sweep_id, stage, name, find, status, first_ordinal, n_trials, "
                  "started_ms) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"));
  for (size_t i = 0; i < sweep.stages.size(); ++i) {
    const bool first = i == 0;
    std::optional<int64_t> started;
    if (first) started = now;
    stmt.Bind(sweep_id, static_cast<int64_t>(i), sweep.stages[i].name, sweep.stages[i].find,
              first ? "running" : "waiting", first ? static_cast<int64_t>(sweep.trials.size()) : int64_t{0},
              started);
    LTSWEEP_RETURN_IF_ERROR(stmt.Run());
  }
  return Status::Ok();
}

Status FinishLastStage(sqlite::Db* db, int64_t sweep_id, int64_t now) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt, db->Prepare("UPDATE sweep_stages SET status = 'done', found_json = '{}', finished_ms = ? "
                                     "WHERE sweep_id = ? AND status = 'running' AND NOT EXISTS "
                                     "(SELECT 1 FROM sweep_stages w WHERE w.sweep_id = ? AND w.status = 'waiting')"));
  stmt.Bind(now, sweep_id, sweep_id);
  return stmt.Run();
}

StatusOr<std::vector<StageRecord>> ReadStages(sqlite::Db* db, int64_t sweep_id) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT stage, name, find, status, first_ordinal, n_trials, found_json, evidence_json, error, "
                  "started_ms, finished_ms FROM sweep_stages WHERE sweep_id = ? ORDER BY stage"));
  stmt.Bind(sweep_id);
  std::vector<StageRecord> out;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    StageRecord r;
    r.sweep_id = sweep_id;
    r.stage = stmt.Int(0);
    r.name = stmt.Text(1);
    r.find = stmt.Text(2);
    r.state = stmt.Text(3);
    r.first_ordinal = stmt.Int64(4);
    r.n_trials = stmt.Int(5);
    r.found_json = stmt.Text(6);
    r.evidence_json = stmt.Text(7);
    r.error = stmt.Text(8);
    r.started_ms = stmt.OptInt64(9);
    r.finished_ms = stmt.OptInt64(10);
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

StatusOr<std::vector<StageToAdvance>> StagesToAdvanceTxn(sqlite::Db* db) {
  // Running stages with no trial left queued, leased or running.
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT g.sweep_id, g.stage, w.spec_yaml, w.name, "
                  "  NOT EXISTS (SELECT 1 FROM sweep_stages n WHERE n.sweep_id = g.sweep_id AND n.stage > g.stage) "
                  "FROM sweep_stages g JOIN sweeps w ON w.id = g.sweep_id "
                  "WHERE g.status = 'running' AND w.status <> 'cancelled' AND w.submitting = 0 "
                  "  AND NOT EXISTS (SELECT 1 FROM trials t WHERE t.sweep_id = g.sweep_id "
                  "    AND t.ordinal >= g.first_ordinal AND t.ordinal < g.first_ordinal + g.n_trials "
                  "    AND t.status IN ('queued', 'leased', 'running')) "
                  "ORDER BY g.sweep_id"));
  std::vector<StageToAdvance> out;
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    StageToAdvance s;
    s.sweep_id = stmt.Int64(0);
    s.stage = stmt.Int(1);
    s.spec_yaml = stmt.Text(2);
    s.sweep_name = stmt.Text(3);
    s.last = stmt.Int(4) != 0;
    out.push_back(std::move(s));
  }
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt ids,
      db->Prepare("SELECT t.id FROM trials t JOIN sweep_stages g ON g.sweep_id = t.sweep_id AND g.stage = ? "
                  "WHERE t.sweep_id = ? AND t.ordinal >= g.first_ordinal AND t.ordinal < g.first_ordinal + g.n_trials "
                  "ORDER BY t.ordinal"));
  for (StageToAdvance& s : out) {
    LTSWEEP_ASSIGN_OR_RETURN(s.stages, ReadStages(db, s.sweep_id));
    ids.Bind(static_cast<int64_t>(s.stage), s.sweep_id);
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, ids.Step());
      if (!row) break;
      s.trial_ids.push_back(ids.Int64(0));
    }
  }
  return out;
}

// FAILED_PRECONDITION unless the stage is running.
Status CheckRunning(sqlite::Db* db, int64_t sweep_id, int stage) {
  LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                           db->Prepare("SELECT status FROM sweep_stages WHERE sweep_id = ? AND stage = ?"));
  stmt.Bind(sweep_id, static_cast<int64_t>(stage));
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  const std::string what = "stage " + std::to_string(stage) + " of sweep " + std::to_string(sweep_id);
  if (!row) return NotFoundError("no " + what);
  if (stmt.Text(0) != "running") return FailedPreconditionError(what + " is " + stmt.Text(0) + ", not running");
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<StageRecord>> Store::ListStages(int64_t sweep_id) {
  return rep_->Read<std::vector<StageRecord>>([&](sqlite::Db* db) { return ReadStages(db, sweep_id); });
}

StatusOr<std::vector<StageToAdvance>> Store::StagesToAdvance() {
  return rep_->Read<std::vector<StageToAdvance>>(StagesToAdvanceTxn);
}

StatusOr<CreatedSweep> Store::AdvanceStage(const StageAdvance& a) {
  return rep_->Write<CreatedSweep>([&]() -> StatusOr<CreatedSweep> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();
    LTSWEEP_RETURN_IF_ERROR(CheckRunning(db, a.sweep_id, a.stage));
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt done, db->Prepare("UPDATE sweep_stages SET status = 'done', found_json = ?, evidence_json = ?, "
                                         "finished_ms = ? WHERE sweep_id = ? AND stage = ?"));
      done.Bind(a.found_json, a.evidence_json, now, a.sweep_id, static_cast<int64_t>(a.stage));
      LTSWEEP_RETURN_IF_ERROR(done.Run());
    }
    CreatedSweep created;
    created.sweep_id = a.sweep_id;
    std::string message = "stage " + std::to_string(a.stage + 1) + " of sweep " + std::to_string(a.sweep_id) +
                          " done, found " + a.found_json;
    if (!a.next_trials.empty()) {
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt sweep_row, db->Prepare("SELECT n_trials, rerun FROM sweeps WHERE id = ?"));
      sweep_row.Bind(a.sweep_id);
      LTSWEEP_ASSIGN_OR_RETURN(bool row, sweep_row.Step());
      if (!row) return NotFoundError("no sweep " + std::to_string(a.sweep_id));
      const int64_t base = sweep_row.Int64(0);
      NewSweep next;
      next.rerun = sweep_row.Int(1) != 0;
      next.trials = a.next_trials;
      LTSWEEP_RETURN_IF_ERROR(InsertTrials(db, next, 0, next.trials.size(), now, created, base));
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt grow,
                               db->Prepare("UPDATE sweeps SET n_trials = n_trials + ?, updated_ms = ? WHERE id = ?"));
      grow.Bind(static_cast<int64_t>(next.trials.size()), now, a.sweep_id);
      LTSWEEP_RETURN_IF_ERROR(grow.Run());
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt start,
          db->Prepare("UPDATE sweep_stages SET status = 'running', first_ordinal = ?, n_trials = ?, started_ms = ? "
                      "WHERE sweep_id = ? AND stage = ? AND status = 'waiting'"));
      start.Bind(base, static_cast<int64_t>(next.trials.size()), now, a.sweep_id, static_cast<int64_t>(a.stage + 1));
      LTSWEEP_RETURN_IF_ERROR(start.Run());
      if (db->Changes() != 1)
        return FailedPreconditionError("stage " + std::to_string(a.stage + 1) + " of sweep " +
                                       std::to_string(a.sweep_id) + " is not waiting");
      message += "; stage " + std::to_string(a.stage + 2) + ": " + std::to_string(next.trials.size()) + " trials (" +
                 std::to_string(created.n_queued) + " queued, " + std::to_string(created.n_linked) + " linked)";
    }
    LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent("stage_done", a.sweep_id, std::nullopt, "", std::nullopt, message));
    LTSWEEP_RETURN_IF_ERROR(rep_->RollUpSweep(a.sweep_id));
    return created;
  });
}

Status Store::FailStage(int64_t sweep_id, int stage, const std::string& error, const std::string& evidence_json) {
  return rep_->Write([&]() -> Status {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();
    LTSWEEP_RETURN_IF_ERROR(CheckRunning(db, sweep_id, stage));
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt failed, db->Prepare("UPDATE sweep_stages SET status = 'failed', error = ?, evidence_json = ?, "
                                         "finished_ms = ? WHERE sweep_id = ? AND stage = ?"));
    failed.Bind(error, evidence_json, now, sweep_id, static_cast<int64_t>(stage));
    LTSWEEP_RETURN_IF_ERROR(failed.Run());
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt skip,
                             db->Prepare("UPDATE sweep_stages SET status = 'skipped' WHERE sweep_id = ? AND stage > ?"));
    skip.Bind(sweep_id, static_cast<int64_t>(stage));
    LTSWEEP_RETURN_IF_ERROR(skip.Run());
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt sweep,
        db->Prepare("UPDATE sweeps SET status = 'failed', updated_ms = ?, finished_ms = ? "
                    "WHERE id = ? AND status IN ('pending', 'running')"));
    sweep.Bind(now, now, sweep_id);
    LTSWEEP_RETURN_IF_ERROR(sweep.Run());
    return rep_->AddEvent("sweep_failed", sweep_id, std::nullopt, "", std::nullopt,
                          "sweep " + std::to_string(sweep_id) + " failed: stage " + std::to_string(stage + 1) + ": " +
                              error);
  });
}

}  // namespace ltsweep
