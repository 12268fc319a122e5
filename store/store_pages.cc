// Store: a sweep's trials one page at a time (ListTrialsPage), by ordinal,
// lean unless configs or histories are asked for.
#include <string>
#include <vector>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

// kTrialColumns with config_json read as '' (lean pages).
std::string LeanTrialColumns() {
  std::string columns = kTrialColumns;
  const std::string name = "config_json";
  columns.replace(columns.find(name), name.size(), "'' AS config_json");
  return columns;
}

std::string PageSql(const TrialPageRequest& request) {
  static const std::string lean = LeanTrialColumns();
  std::string sql = "SELECT " + (request.with_config ? std::string(kTrialColumns) : lean) +
                    " FROM trials WHERE sweep_id = ?1 AND ordinal > ?2";
  if (!request.states.empty()) {
    // Names of the enum (store/types.cc), never user text.
    sql += " AND status IN (";
    for (size_t i = 0; i < request.states.size(); ++i) {
      sql += std::string(i ? ", '" : "'") + TrialStateName(request.states[i]) + "'";
    }
    sql += ")";
  }
  if (request.started_only) sql += " AND (attempts > 0 OR reused_from_trial_id IS NOT NULL)";
  return sql + " ORDER BY ordinal LIMIT ?3";
}

// About what a trial adds to a reply, for TrialPageRequest::max_bytes.
int64_t ApproxBytes(const TrialHistory& h) {
  int64_t bytes = 96 + static_cast<int64_t>(h.trial.config_json.size() + h.trial.error.size());
  for (const AttemptRecord& a : h.attempts) bytes += 48 + static_cast<int64_t>(a.error.size());
  for (const auto& [name, series] : h.metrics.scalars) {
    bytes += static_cast<int64_t>(series.size() * (24 + name.size()));
  }
  for (const auto& [name, epochs] : h.metrics.per_class) {
    for (const auto& [epoch, values] : epochs) {
      bytes += static_cast<int64_t>(values.size() * (24 + name.size()));
    }
  }
  for (const PayloadRow& p : h.metrics.payloads) {
    bytes += 16 + static_cast<int64_t>(p.kind.size() + p.json.size());
  }
  return bytes;
}

StatusOr<TrialPage> ListTrialsPageTxn(sqlite::Db* db, const TrialPageRequest& request) {
  {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db->Prepare("SELECT 1 FROM sweeps WHERE id = ?"));
    stmt.Bind(request.sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFoundError("no sweep " + std::to_string(request.sweep_id));
  }
  std::vector<TrialRecord> records;
  bool more = false;
  {
    LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db->Prepare(PageSql(request)));
    // One row past the limit says whether another page follows.
    stmt.Bind(request.sweep_id, request.after_ordinal, static_cast<int64_t>(request.limit) + 1);
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (static_cast<int>(records.size()) == request.limit) {
        more = true;
        break;
      }
      records.push_back(ReadTrialRow(stmt));
    }
  }
  TrialPage page;
  int64_t bytes = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    TrialHistory h;
    // A trial never leased and not linked has no attempts and no rows: most
    // of a large sweep while it runs, answered without a query.
    const bool unstarted = records[i].attempts == 0 && !records[i].reused_from_trial_id;
    if (request.with_history && !unstarted) {
      LTSWEEP_ASSIGN_OR_RETURN(h, ReadTrialHistory(db, std::move(records[i])));
    } else {
      h.trial = std::move(records[i]);
      h.metrics.source_trial_id = h.trial.id;
    }
    bytes += ApproxBytes(h);
    page.trials.push_back(std::move(h));
    if (request.max_bytes > 0 && bytes >= request.max_bytes && i + 1 < records.size()) {
      more = true;
      break;
    }
  }
  if (more) page.next_after_ordinal = page.trials.back().trial.ordinal;
  return page;
}

}  // namespace

StatusOr<TrialPage> Store::ListTrialsPage(const TrialPageRequest& request) {
  if (request.limit < 1) {
    return InvalidArgumentError("page size must be at least 1, got " +
                                std::to_string(request.limit));
  }
  return rep_->Read<TrialPage>(
      [&](sqlite::Db* db) { return ListTrialsPageTxn(db, request); });
}

}  // namespace ltsweep
