// Store: cancelling sweeps (creating them: store/store_submit.cc).
#include <mutex>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

StatusOr<std::vector<CancelledLease>> Store::CancelSweep(int64_t sweep_id) {
  return rep_->Write<std::vector<CancelledLease>>([&]() -> StatusOr<std::vector<CancelledLease>> {
    sqlite::Db* db = rep_->db.get();
    const int64_t now = rep_->Now();

    {
      LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                               db->Prepare("SELECT status, submitting FROM sweeps WHERE id = ?"));
      stmt.Bind(sweep_id);
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return NotFoundError("no sweep " + std::to_string(sweep_id));
      auto status = ParseSweepState(stmt.Text(0));
      if (stmt.Int(1) != 0) {
        return FailedPreconditionError("sweep " + std::to_string(sweep_id) +
                                       " is still being submitted; cancel it once its "
                                       "submission has finished");
      }
      if (status != SweepState::kPending && status != SweepState::kRunning) {
        return std::vector<CancelledLease>{};
      }
    }

    std::vector<CancelledLease> cancelled;
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("SELECT id, attempts, worker_id FROM trials "
                      "WHERE sweep_id = ? AND status IN ('leased', 'running') ORDER BY id"));
      stmt.Bind(sweep_id);
      for (;;) {
        LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        cancelled.push_back({stmt.Int64(0), stmt.Int(1), stmt.Text(2)});
      }
    }
    for (const CancelledLease& lease : cancelled) {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE attempts SET status = 'cancelled', ended_ms = ?, "
                      "error = 'sweep cancelled' WHERE trial_id = ? AND attempt = ?"));
      stmt.Bind(now, lease.trial_id, lease.attempt);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
          "trial_cancelled", sweep_id, lease.trial_id, lease.worker_id, lease.attempt,
          "trial " + std::to_string(lease.trial_id) + " attempt " + std::to_string(lease.attempt) +
              " cancelled on " + lease.worker_id));
    }
    int n_trials = 0;
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE trials SET status = 'cancelled', lease_token = NULL, "
                      "lease_deadline_ms = NULL, updated_ms = ?, finished_ms = ? "
                      "WHERE sweep_id = ? AND status IN ('queued', 'leased', 'running')"));
      stmt.Bind(now, now, sweep_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
      n_trials = db->Changes();
    }
    {
      LTSWEEP_ASSIGN_OR_RETURN(
          sqlite::Stmt stmt,
          db->Prepare("UPDATE sweeps SET status = 'cancelled', updated_ms = ?, finished_ms = ? "
                      "WHERE id = ?"));
      stmt.Bind(now, now, sweep_id);
      LTSWEEP_RETURN_IF_ERROR(stmt.Run());
    }
    LTSWEEP_RETURN_IF_ERROR(rep_->AddEvent(
        "sweep_cancelled", sweep_id, std::nullopt, "", std::nullopt,
        "sweep " + std::to_string(sweep_id) + " cancelled: " + std::to_string(n_trials) +
            " trials cancelled, " + std::to_string(cancelled.size()) + " of them running"));
    return cancelled;
  });
}

}  // namespace ltsweep
