// Store: what /metrics reads at scrape time (Store::ReadGauges): trials by
// state over every sweep from the trigger-kept sweep_trial_counts, and
// workers by state. Two small queries on a read connection.
#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

Status ReadTotalTrialCounts(sqlite::Db* db, TrialCounts* counts) {
  LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                           db->Prepare("SELECT status, SUM(trials), SUM(epochs) FROM sweep_trial_counts "
                                       "GROUP BY status"));
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    auto state = ParseTrialState(stmt.Text(0));
    if (!state) continue;
    counts->at(*state) += stmt.Int(1);
    counts->epochs_at(*state) += stmt.Int64(2);
  }
  return Status::Ok();
}

Status ReadWorkerStates(sqlite::Db* db, int64_t now_ms, StoreGauges* gauges) {
  LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                           db->Prepare("SELECT status, quarantined_until_ms > ?, COUNT(*) FROM workers "
                                       "GROUP BY 1, 2"));
  stmt.Bind(now_ms);
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const std::string status = stmt.Text(0);
    const bool quarantined = stmt.Int(1) != 0;
    const int n = stmt.Int(2);
    if (status == "alive") {
      (quarantined ? gauges->workers_quarantined : gauges->workers_alive) += n;
    } else if (status == "lost") {
      gauges->workers_lost += n;
    } else {
      gauges->workers_stopped += n;
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<StoreGauges> Store::ReadGauges() {
  const int64_t now = rep_->Now();
  return rep_->Read<StoreGauges>([now](sqlite::Db* db) -> StatusOr<StoreGauges> {
    StoreGauges gauges;
    LTSWEEP_RETURN_IF_ERROR(ReadTotalTrialCounts(db, &gauges.trials));
    LTSWEEP_RETURN_IF_ERROR(ReadWorkerStates(db, now, &gauges));
    return gauges;
  });
}

}  // namespace ltsweep
