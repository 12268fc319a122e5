#include "report/db_loader.h"

#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

namespace ltsweep::report {

namespace {

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(ReadOnlyDb& db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db.handle(), sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status status() const {
    if (rc_ == SQLITE_OK) return Status::Ok();
    return InternalError(fmt::format("results database {}: {} (is it an ltsweep results database?)", db_.path(),
                                     sqlite3_errmsg(db_.handle())));
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // true: a row; false: done. Errors become false with status() set.
  StatusOr<bool> Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    rc_ = rc;
    return status();
  }
  bool IsNull(int c) { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  int64_t Int(int c) { return sqlite3_column_int64(stmt_, c); }
  double Double(int c) {
    return IsNull(c) ? std::numeric_limits<double>::quiet_NaN() : sqlite3_column_double(stmt_, c);
  }
  std::string Text(int c) {
    const unsigned char* t = sqlite3_column_text(stmt_, c);
    return t == nullptr ? "" : std::string(reinterpret_cast<const char*>(t));
  }

 private:
  ReadOnlyDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

std::vector<int64_t> IntList(const nlohmann::json& j) {
  std::vector<int64_t> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (!v.is_number()) return {};
    out.push_back(v.get<int64_t>());
  }
  return out;
}


// Fills metrics, per-class rows and payloads of `t` from trial `source`.
Status LoadMetrics(ReadOnlyDb& db, int64_t source, TrialRecord& t) {
  {
    Stmt s(db, "SELECT epoch, name, value FROM metrics WHERE trial_id = ? ORDER BY attempt, epoch");
    LTSWEEP_RETURN_IF_ERROR(s.status());
    s.Bind(1, source);
    std::map<std::string, std::map<int, double>> merged;
    while (true) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      merged[s.Text(1)][static_cast<int>(s.Int(0))] = s.Double(2);
    }
    for (auto& [name, by_epoch] : merged) {
      Series series(by_epoch.begin(), by_epoch.end());
      t.scalar_series[name] = std::move(series);
    }
  }
  {
    Stmt s(db,
           "SELECT epoch, name, class_index, value FROM per_class_metrics WHERE trial_id = ? "
           "ORDER BY attempt, epoch, name, class_index");
    LTSWEEP_RETURN_IF_ERROR(s.status());
    s.Bind(1, source);
    std::map<std::string, std::map<int, std::map<int, double>>> merged;
    while (true) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      merged["per_class_" + s.Text(1)][static_cast<int>(s.Int(0))][static_cast<int>(s.Int(2))] = s.Double(3);
    }
    for (auto& [name, by_epoch] : merged) {
      for (auto& [epoch, by_class] : by_epoch) {
        if (by_class.empty() || by_class.begin()->first < 0) continue;
        std::vector<double> values(static_cast<size_t>(by_class.rbegin()->first) + 1,
                                   std::numeric_limits<double>::quiet_NaN());
        for (const auto& [c, v] : by_class) values[static_cast<size_t>(c)] = v;
        t.per_class[name][epoch] = std::move(values);
      }
    }
  }
  {
    Stmt s(db, "SELECT epoch, kind, json FROM trial_payloads WHERE trial_id = ? ORDER BY attempt, epoch");
    LTSWEEP_RETURN_IF_ERROR(s.status());
    s.Bind(1, source);
    int confusion_epoch = std::numeric_limits<int>::min();
    while (true) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      const int epoch = static_cast<int>(s.Int(0));
      const std::string kind = s.Text(1);
      nlohmann::json j = nlohmann::json::parse(s.Text(2), nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) continue;
      if (kind == "start") {
        ReadClassInfo(j, t);
      } else if (kind == "done") {
        t.done = j;
        ReadClassInfo(j, t);
      } else if (kind == "confusion" && epoch >= confusion_epoch) {
        t.confusion = j;
        confusion_epoch = epoch;
      }
    }
  }
  return Status::Ok();
}

Status LoadAttempts(ReadOnlyDb& db, TrialRecord& t) {
  Stmt s(db,
         "SELECT attempt, status, worker_id, error, started_ms, ended_ms FROM attempts "
         "WHERE trial_id = ? ORDER BY attempt");
  LTSWEEP_RETURN_IF_ERROR(s.status());
  s.Bind(1, t.trial_id);
  while (true) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    AttemptRecord a;
    a.attempt = static_cast<int>(s.Int(0));
    a.state = s.Text(1);
    a.worker = s.Text(2);
    a.error = s.Text(3);
    a.started_ms = s.Int(4);
    a.finished_ms = s.IsNull(5) ? 0 : s.Int(5);
    t.attempt_history.push_back(std::move(a));
  }
  return Status::Ok();
}

constexpr const char* kTrialColumns =
    "SELECT id, sweep_id, config_json, config_hash, status, attempts, error, reused_from_trial_id FROM trials ";

StatusOr<TrialRecord> TrialFromRow(ReadOnlyDb& db, Stmt& s) {
  TrialRecord t;
  t.trial_id = s.Int(0);
  t.sweep_id = s.Int(1);
  t.config = nlohmann::json::parse(s.Text(2), nullptr, /*allow_exceptions=*/false);
  if (t.config.is_discarded()) {
    return DataLossError(fmt::format("results database {}: trial {} has a config that is not JSON", db.path(),
                                     t.trial_id));
  }
  t.config_hash = s.Text(3);
  t.status = s.Text(4);
  t.attempts = static_cast<int>(s.Int(5));
  t.error = s.Text(6);
  const int64_t source = s.IsNull(7) ? t.trial_id : s.Int(7);
  LTSWEEP_RETURN_IF_ERROR(LoadAttempts(db, t));
  LTSWEEP_RETURN_IF_ERROR(LoadMetrics(db, source, t));
  return t;
}

}  // namespace

StatusOr<SweepRecord> LoadSweep(ReadOnlyDb& db, int64_t sweep_id) {
  SweepRecord sweep;
  {
    Stmt s(db, "SELECT id, name, status, metric_name, metric_goal FROM sweeps WHERE id = ?");
    LTSWEEP_RETURN_IF_ERROR(s.status());
    s.Bind(1, sweep_id);
    LTSWEEP_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError(fmt::format("unknown sweep {} in {}", sweep_id, db.path()));
    sweep.sweep_id = s.Int(0);
    sweep.name = s.Text(1);
    sweep.state = s.Text(2);
    sweep.metric = s.Text(3);
    sweep.goal = s.Text(4);
  }
  Stmt s(db, (std::string(kTrialColumns) + "WHERE sweep_id = ? ORDER BY ordinal").c_str());
  LTSWEEP_RETURN_IF_ERROR(s.status());
  s.Bind(1, sweep_id);
  while (true) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    LTSWEEP_ASSIGN_OR_RETURN(TrialRecord t, TrialFromRow(db, s));
    sweep.trials.push_back(std::move(t));
  }
  return sweep;
}

StatusOr<TrialRecord> LoadTrial(ReadOnlyDb& db, int64_t trial_id) {
  Stmt s(db, (std::string(kTrialColumns) + "WHERE id = ?").c_str());
  LTSWEEP_RETURN_IF_ERROR(s.status());
  s.Bind(1, trial_id);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFoundError(fmt::format("unknown trial {} in {}", trial_id, db.path()));
  return TrialFromRow(db, s);
}

StatusOr<int64_t> LatestSweepId(ReadOnlyDb& db) {
  Stmt s(db, "SELECT max(id) FROM sweeps");
  LTSWEEP_RETURN_IF_ERROR(s.status());
  LTSWEEP_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.IsNull(0)) return NotFoundError(fmt::format("no sweep in {}", db.path()));
  return s.Int(0);
}

void ReadClassInfo(const nlohmann::json& payload, TrialRecord& t) {
  if (!payload.is_object()) return;
  for (const char* key : {"class_counts", "train_class_counts", "train_counts"}) {
    auto it = payload.find(key);
    if (it != payload.end() && t.class_counts.empty()) t.class_counts = IntList(*it);
  }
  for (const char* key : {"class_names", "classes"}) {
    auto it = payload.find(key);
    if (it != payload.end() && it->is_array() && t.class_names.empty()) {
      for (const auto& n : *it) t.class_names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
    }
  }
}

}  // namespace ltsweep::report
