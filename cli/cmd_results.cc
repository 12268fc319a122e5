// ltsweep sql / results / best / trial / curves / report (cli/commands.h).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/utc_time.h"
#include "report/aggregate.h"
#include "report/html_report.h"
#include "report/stage_filter.h"
#include "report/svg.h"
#include "report/table_format.h"
#include "report/trial_fields.h"
#include "store/readonly_db.h"
#include "store/store.h"

namespace ltsweep::cli {

namespace {

using report::OutputFormat;

std::string DefaultDbPath() {
  const char* env = std::getenv("LTSWEEP_DB");
  return env != nullptr && env[0] != '\0' ? env : "ltsweep.db";
}

// Bad usage or invalid input: exit 2, whatever the status code.
[[noreturn]] void UsageError(const std::string& message) { throw CommandError(kExitUsage, message); }

template <typename T>
T ValueOrThrow(StatusOr<T> v) {
  ThrowIfError(v.status());
  return std::move(v).value();
}

std::unique_ptr<ReadOnlyDb> OpenDb(const std::string& path) {
  auto db = ReadOnlyDb::Open(path);
  if (!db.ok()) {
    if (db.status().code() == StatusCode::kNotFound) {
      UsageError(db.status().message() + " (give --db PATH or set LTSWEEP_DB)");
    }
    ThrowIfError(db.status());
  }
  return std::move(db).value();
}

// The results database, opened read-only through the store.
std::unique_ptr<Store> OpenStore(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    UsageError(fmt::format("results database {} does not exist (give --db PATH or set LTSWEEP_DB)", path));
  }
  StoreOptions options;
  options.read_only = true;
  return ValueOrThrow(Store::Open(path, options));
}

OutputFormat Format(const std::string& text) { return ValueOrThrow(report::ParseOutputFormat(text)); }

void WriteOutput(const std::string& path, const std::string& text, const std::string& what) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw CommandError(kExitFailure, fmt::format("cannot write {} to {}", what, path));
  std::cerr << fmt::format("wrote {} to {}\n", what, path);
}

std::string TimeText(int64_t ms) { return ms <= 0 ? "" : FormatUtcSeconds(ms); }

// Where records come from: --db, the caller's sources, or the default file.
struct Source {
  std::string db_path;  // given with --db
  const ResultsSources* sources = nullptr;

  bool SourcesOn() const { return !sources->enabled || sources->enabled(); }
  bool UseDb() const { return !db_path.empty() || !sources->fetch_sweep || !SourcesOn(); }
  std::string Path() const { return db_path.empty() ? DefaultDbPath() : db_path; }

  // `started_only`: trials that never ran may be left out (a coordinator
  // then sends only the others; the file is read whole).
  SweepHistory Sweep(int64_t sweep_id, bool started_only = false) const {
    SweepHistory sweep;
    if (!UseDb()) {
      if (sweep_id <= 0) UsageError("give the SWEEP id");
      sweep = ValueOrThrow(sources->fetch_sweep(sweep_id, started_only));
    } else {
      auto store = OpenStore(Path());
      if (sweep_id <= 0) sweep_id = LatestSweepId(*store);
      sweep = ValueOrThrow(store->GetSweepHistory(sweep_id));
    }
    ThrowIfError(report::CheckConfigs(sweep.trials));
    return sweep;
  }

  std::vector<TrialHistory> Trials(const std::vector<int64_t>& ids) const {
    std::vector<TrialHistory> out;
    if (db_path.empty() && sources->fetch_trial && SourcesOn()) {
      for (int64_t id : ids) out.push_back(ValueOrThrow(sources->fetch_trial(id)));
    } else {
      auto store = OpenStore(Path());
      for (int64_t id : ids) out.push_back(ValueOrThrow(store->GetTrialHistory(id)));
    }
    ThrowIfError(report::CheckConfigs(out));
    return out;
  }

  static int64_t LatestSweepId(Store& store) {
    auto newest = ValueOrThrow(store.ListSweeps(1));
    if (newest.empty()) ThrowIfError(NotFoundError(fmt::format("no sweep in {}", store.path())));
    return newest.front().sweep.id;
  }
};

struct ResultsArgs {
  int64_t sweep_id = 0;
  std::string db;
  std::string metric;
  std::string goal;
  std::vector<std::string> group_by;
  std::string agg = "mean_std";
  std::string columns;
  std::string format = "table";
  bool all = false;
  std::string output;
  std::string title;
  int stage = 0;  // --stage K (1-based); 0: the latest stage with trials
  bool all_stages = false;
};

// --stage K / --all-stages: which stage of a staged sweep the table shows.
void AddStageOptions(CLI::App* cmd, ResultsArgs& a) {
  CLI::Option* all = cmd->add_flag("--all-stages", a.all_stages,
                                   "A staged sweep (stages:): every stage's trials, a stage column keeping them apart");
  cmd->add_option("--stage", a.stage,
                  "A staged sweep: the trials of stage K (1 = the first; default: the latest stage that has trials, "
                  "the last once it runs)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            return v.find_first_not_of("0123456789") == std::string::npos && v.size() < 6 && std::stoi(v) >= 1
                       ? ""
                       : "expected a stage number, 1 for the first stage, got '" + v + "'";
          },
          "K"))
      ->excludes(all);
}

// The stage of `sweep` the command shows (report/stage_filter.h); exit 2 for
// a stage it does not have.
report::StageView ChooseStageOrThrow(const ResultsArgs& a, const SweepHistory& sweep) {
  return ValueOrThrow(report::ChooseStage(sweep.sweep.id, sweep.stages, {a.stage, a.all_stages}));
}

// A failed table of a staged sweep names the stage it was of.
Status WithStage(const Status& status, const report::StageView& stage) {
  if (status.ok() || !stage.filters()) return status;
  return Status(status.code(), fmt::format("stage {} ({}): {}", stage.stage + 1, stage.stage_name, status.message()));
}

void AddResultsOptions(CLI::App* cmd, ResultsArgs& a) {
  cmd->add_option("--metric", a.metric, "Target metric (default: the sweep's, usually val_error)");
  cmd->add_option("--goal", a.goal, "minimize or maximize (default: the sweep's)")
      ->check(CLI::IsMember({"minimize", "maximize"}));
  cmd->add_option("--group-by", a.group_by,
                  "Dotted config keys to group by, comma-separated (default: every key that varies, except "
                  "train.seed)")
      ->delimiter(',');
  cmd->add_option("--agg", a.agg, "best | last | mean_std (default mean_std: best epoch, mean ± std over seeds)");
  cmd->add_option("--columns", a.columns, "Extra columns: per_class or shot (many/medium/few-shot error)");
  cmd->add_flag("--all", a.all,
                "Count unfinished, failed and stopped-early trials that have values too (a \"stopped\" column "
                "marks the stopped ones)");
  AddStageOptions(cmd, a);
}

report::ResultsOptions MakeResultsOptions(const ResultsArgs& a, const SweepRecord& sweep) {
  report::ResultsOptions o;
  o.metric = !a.metric.empty() ? a.metric : !sweep.metric_name.empty() ? sweep.metric_name : o.metric;
  o.goal = !a.goal.empty() ? a.goal : !sweep.metric_goal.empty() ? sweep.metric_goal : o.goal;
  o.group_by = a.group_by;
  o.agg = ValueOrThrow(report::ParseAggMode(a.agg));
  o.columns = ValueOrThrow(report::ParseExtraColumns(a.columns));
  o.include_unfinished = a.all;
  return o;
}

void RunSql(const std::string& sql, const std::string& db_path, const std::string& format, size_t max_rows) {
  const OutputFormat f = Format(format);
  auto db = OpenDb(db_path.empty() ? DefaultDbPath() : db_path);
  auto result = db->Query(sql, max_rows);
  if (!result.ok()) UsageError(result.status().message());
  report::TextGrid grid;
  grid.header = result->columns;
  grid.numeric = result->numeric;
  const bool text = f == OutputFormat::kTable || f == OutputFormat::kMarkdown;
  for (const auto& row : result->rows) {
    std::vector<std::string> cells;
    for (const auto& v : row) cells.push_back(v ? *v : (text ? "NULL" : ""));
    grid.rows.push_back(std::move(cells));
  }
  std::cout << report::FormatGrid(grid, f);
  if (result->truncated) std::cerr << fmt::format("(stopped after {} rows; see --max-rows)\n", max_rows);
}

void RunResults(const ResultsArgs& a, const Source& src) {
  const OutputFormat f = Format(a.format);
  SweepHistory sweep = src.Sweep(a.sweep_id, /*started_only=*/true);
  const size_t n_trials = std::max<size_t>(sweep.trials.size(), static_cast<size_t>(sweep.sweep.n_trials));
  report::StageView stage = ChooseStageOrThrow(a, sweep);
  report::KeepStageTrials(stage, sweep.trials);
  report::ResultsOptions o = MakeResultsOptions(a, sweep.sweep);
  report::AddStageColumn(stage, f == OutputFormat::kCsv || f == OutputFormat::kJson, o);
  auto table = report::AggregateResults(sweep.trials, o);
  ThrowIfError(WithStage(table.status(), stage));
  if (f == OutputFormat::kTable) {
    std::cerr << fmt::format("sweep {} ({}): {} trials, {} rows\n", sweep.sweep.id, sweep.sweep.name, n_trials,
                             table->rows.size());
    if (stage.staged) std::cerr << stage.Note() << "\n";
  }
  std::cout << report::FormatResults(*table, f);
}

void RunBest(const ResultsArgs& a, const Source& src) {
  SweepHistory sweep = src.Sweep(a.sweep_id, /*started_only=*/true);
  report::StageView stage = ChooseStageOrThrow(a, sweep);
  report::KeepStageTrials(stage, sweep.trials);
  const report::ResultsOptions o = MakeResultsOptions(a, sweep.sweep);
  auto found = report::FindBestTrial(sweep.trials, o);
  ThrowIfError(WithStage(found.status(), stage));
  const TrialHistory& t = sweep.trials[*found];
  auto v = report::ReduceTrial(t, o.metric, o.goal, true);
  const nlohmann::json config = report::TrialConfig(t);
  const std::optional<int> t_stage = report::StageOfOrdinal(stage.spans, t.trial.ordinal);
  if (a.format == "json") {
    nlohmann::json j = {{"sweep_id", sweep.sweep.id}, {"trial_id", t.trial.id}, {"metric", o.metric},
                        {"value", v->value},      {"epoch", v->epoch},      {"config", config}};
    if (t_stage) j["stage"] = *t_stage + 1;
    std::cout << j.dump(2) << "\n";
    return;
  }
  Format(a.format);  // validates the flag
  const std::string of_stage =
      t_stage ? fmt::format(" (stage {} of {}, {})", *t_stage + 1, stage.n_stages, sweep.stages[*t_stage].name) : "";
  std::cout << fmt::format("best trial of sweep {}{}: {}\n{} = {:.6g} at epoch {}\nconfig:\n{}\n", sweep.sweep.id,
                           of_stage, t.trial.id, o.metric, v->value, v->epoch, config.dump(2));
  if (stage.filters() && stage.left_out > 0) std::cerr << stage.Note() << "\n";
}

// Per-epoch metrics of a trial: one row per epoch, one column per scalar name.
report::TextGrid MetricsGrid(const TrialHistory& t) {
  report::TextGrid metrics;
  metrics.header.push_back("epoch");
  std::set<int> epochs;
  for (const auto& [name, series] : t.metrics.scalars) {
    metrics.header.push_back(name);
    for (const auto& [e, v] : series) epochs.insert(e);
  }
  metrics.numeric.assign(metrics.header.size(), true);
  for (int e : epochs) {
    std::vector<std::string> row = {std::to_string(e)};
    for (const auto& [name, series] : t.metrics.scalars) {
      std::string cell;
      for (const auto& [se, v] : series) {
        if (se == e) cell = fmt::format("{:.6g}", v);
      }
      row.push_back(cell);
    }
    metrics.rows.push_back(std::move(row));
  }
  return metrics;
}

void RunTrial(int64_t id, const std::string& format, const Source& src) {
  const OutputFormat f = Format(format);
  const TrialHistory h = src.Trials({id}).front();
  const TrialRecord& t = h.trial;
  const nlohmann::json config = report::TrialConfig(h);
  const report::TextGrid metrics = MetricsGrid(h);
  report::TextGrid attempts;
  attempts.header = {"attempt", "state", "worker", "started", "ended", "device", "threads", "blas", "error"};
  attempts.numeric = {true, false, false, false, false, false, true, false, false};
  for (const AttemptRecord& at : h.attempts) {
    attempts.rows.push_back({std::to_string(at.attempt), AttemptStateName(at.state), at.worker_id,
                             TimeText(at.started_ms), TimeText(at.ended_ms.value_or(0)),
                             report::RuntimeDeviceText(at.runtime), report::RuntimeThreadsText(at.runtime),
                             report::RuntimeBlasText(at.runtime), at.error});
  }
  report::TextGrid early_stop;
  early_stop.header = {"attempt", "epoch", "rung", "decision", "value", "cut-off", "compared with"};
  early_stop.numeric = {true, true, true, false, true, true, false};
  for (const EarlyStopRecord& d : h.early_stop) {
    early_stop.rows.push_back({std::to_string(d.attempt), std::to_string(d.epoch),
                               d.rung ? fmt::format("{} ({} epochs)", *d.rung, d.rung_epochs) : "-",
                               d.stop ? "stop" : d.guarded ? "continue (DRW guard)" : "continue",
                               fmt::format("{:.6g}", d.value), fmt::format("{:.6g}", d.threshold), d.compared_with});
  }
  if (f == OutputFormat::kJson) {
    nlohmann::json j = {{"trial_id", t.id},         {"sweep_id", t.sweep_id},       {"state", TrialStateName(t.state)},
                        {"attempts", t.attempts}, {"config_hash", t.config_hash}, {"config", config},
                        {"error", t.error}};
    j["attempt_history"] = nlohmann::json::parse(report::FormatGrid(attempts, f));
    j["metrics"] = nlohmann::json::parse(report::FormatGrid(metrics, f));
    j["early_stop"] = nlohmann::json::parse(report::FormatGrid(early_stop, f));
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (f == OutputFormat::kCsv) {  // the metrics table alone pipes best
    std::cout << report::FormatGrid(metrics, f);
    return;
  }
  std::cout << fmt::format("trial {} (sweep {}): {}, {} attempt(s), config hash {}\n", t.id, t.sweep_id,
                           TrialStateName(t.state), t.attempts, t.config_hash);
  if (!t.error.empty()) std::cout << "error: " << t.error << "\n";
  std::cout << "\nconfig:\n" << config.dump(2) << "\n";
  if (!attempts.rows.empty()) std::cout << "\nattempts:\n" << report::FormatGrid(attempts, f);
  if (!early_stop.rows.empty()) {
    std::cout << "\nearly termination decisions:\n" << report::FormatGrid(early_stop, f);
  }
  std::cout << "\nmetrics per epoch:\n" << (metrics.rows.empty() ? "(none)\n" : report::FormatGrid(metrics, f));
}

void RunCurves(const std::vector<int64_t>& ids, const std::string& output, const Source& src) {
  std::vector<TrialHistory> trials = src.Trials(ids);
  std::vector<const TrialHistory*> ptrs;
  std::vector<std::string> labels;
  for (const auto& t : trials) {
    ptrs.push_back(&t);
    labels.push_back(fmt::format("trial {}", t.trial.id));
  }
  WriteOutput(output, report::LearningCurvesSvg(ptrs, labels), "learning curves");
}

void RunReport(const ResultsArgs& a, const Source& src) {
  SweepHistory sweep = src.Sweep(a.sweep_id);
  report::ReportOptions o;
  o.results = MakeResultsOptions(a, sweep.sweep);
  o.stage = {a.stage, a.all_stages};
  o.title = a.title;
  o.footer = fmt::format("Generated {} by ltsweep report.", FormatUtcMinutes(SystemClock::Default()->NowMillis()));
  auto html = report::RenderHtmlReport(sweep, o);
  ThrowIfError(html.status());
  WriteOutput(a.output, *html, fmt::format("the report of sweep {}", sweep.sweep.id));
}

}  // namespace

void RegisterResultsCommands(CLI::App& app, ResultsSources sources) {
  auto shared_sources = std::make_shared<ResultsSources>(std::move(sources));
  const std::string db_help = "Read the SQLite results database at PATH (read-only) instead of asking the coordinator";

  // sql
  {
    struct Args {
      std::string sql, db, format = "table";
      size_t max_rows = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("sql", "Run a read-only SQL query on the results database");
    cmd->add_option("QUERY", a->sql, "One SELECT statement (or a read-only PRAGMA)")->required();
    cmd->add_option("--db", a->db, "Results database (default: $LTSWEEP_DB or ./ltsweep.db)");
    cmd->add_option("--format", a->format, "table | csv | json | markdown (default table)");
    cmd->add_option("--max-rows", a->max_rows, "Stop after this many rows (default: all)");
    cmd->footer(
        "Example:\n  ltsweep sql \"SELECT id, status, best_metric FROM trials WHERE sweep_id = 1\" --db ltsweep.db\n"
        "Writes, ATTACH, PRAGMA changes and load_extension are refused (exit 2).");
    cmd->callback([a] { RunSql(a->sql, a->db, a->format, a->max_rows); });
  }
  // results
  {
    auto a = std::make_shared<ResultsArgs>();
    CLI::App* cmd = app.add_subcommand("results", "The results table of a sweep (paper style)");
    cmd->add_option("SWEEP", a->sweep_id, "Sweep id (default: the newest in the database)");
    cmd->add_option("--db", a->db, db_help);
    AddResultsOptions(cmd, *a);
    cmd->add_option("--format", a->format, "table | csv | json | markdown (default table)");
    cmd->footer(
        "Example:\n  ltsweep results 1 --db ltsweep.db --group-by method.loss,method.defer --agg mean_std "
        "--columns shot\n"
        "  ltsweep results 1 --stage 1     # a staged sweep: its first stage (the LR range test)\n"
        "A staged sweep (stages:) shows the trials of its latest stage with trials (the last stage once it runs) "
        "and says how many of other stages it leaves out; --stage K picks stage K, --all-stages shows every stage "
        "with a stage column. csv and json always carry the stage column.");
    cmd->callback([a, shared_sources] { RunResults(*a, Source{a->db, shared_sources.get()}); });
  }
  // best
  {
    auto a = std::make_shared<ResultsArgs>();
    CLI::App* cmd = app.add_subcommand("best", "The best trial of a sweep and its config");
    cmd->add_option("SWEEP", a->sweep_id, "Sweep id (default: the newest in the database)");
    cmd->add_option("--db", a->db, db_help);
    cmd->add_option("--metric", a->metric, "Target metric (default: the sweep's)");
    cmd->add_option("--goal", a->goal, "minimize or maximize (default: the sweep's)")
        ->check(CLI::IsMember({"minimize", "maximize"}));
    cmd->add_option("--format", a->format, "table | json (default table)");
    AddStageOptions(cmd, *a);
    cmd->footer(
        "Example:\n  ltsweep best 1 --db ltsweep.db --format json\n"
        "A staged sweep (stages:): the best trial of its latest stage with trials (the last stage once it runs); "
        "--stage K or --all-stages choose otherwise.");
    cmd->callback([a, shared_sources] { RunBest(*a, Source{a->db, shared_sources.get()}); });
  }
  // trial
  {
    struct Args {
      int64_t id = 0;
      std::string db, format = "table";
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("trial", "A trial's config, attempts with their errors and per-epoch metrics");
    cmd->add_option("ID", a->id, "Trial id")->required();
    cmd->add_option("--db", a->db, db_help);
    cmd->add_option("--format", a->format, "table | csv (metrics only) | json (default table)");
    cmd->footer(
        "Example:\n  ltsweep trial 12 --db ltsweep.db\nA trial of a sweep with early_terminate also lists the rule's "
        "decisions after each judged epoch (rung, continue/stop, its value, the cut-off, what it was compared with).");
    cmd->callback([a, shared_sources] { RunTrial(a->id, a->format, Source{a->db, shared_sources.get()}); });
  }
  // curves
  {
    struct Args {
      std::vector<int64_t> ids;
      std::string db, output;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("curves", "Learning curves of trials as one SVG (loss, val error, lr)");
    cmd->add_option("TRIAL", a->ids, "Trial ids")->required();
    cmd->add_option("-o,--output", a->output, "SVG file to write ('-' for stdout)")->required();
    cmd->add_option("--db", a->db, db_help);
    cmd->footer("Example:\n  ltsweep curves 3 4 5 --db ltsweep.db -o curves.svg");
    cmd->callback([a, shared_sources] { RunCurves(a->ids, a->output, Source{a->db, shared_sources.get()}); });
  }
  // report
  {
    auto a = std::make_shared<ResultsArgs>();
    CLI::App* cmd = app.add_subcommand("report", "A self-contained HTML report of a sweep");
    cmd->add_option("SWEEP", a->sweep_id, "Sweep id (default: the newest in the database)");
    cmd->add_option("-o,--output", a->output, "HTML file to write ('-' for stdout)")->required();
    cmd->add_option("--db", a->db, db_help);
    cmd->add_option("--title", a->title, "Page title (default: Sweep N: name)");
    AddResultsOptions(cmd, *a);
    cmd->footer(
        "Example:\n  ltsweep report 1 --db ltsweep.db -o report.html\n"
        "A staged sweep (stages:): the stages and their charts (range-test curve, plateau), then the results, "
        "curves and best trial of the latest stage with trials; --stage K or --all-stages choose otherwise.");
    cmd->callback([a, shared_sources] { RunReport(*a, Source{a->db, shared_sources.get()}); });
  }
  if (shared_sources->add_options) {
    for (const char* name : {"results", "best", "trial", "curves", "report"}) {
      shared_sources->add_options(app.get_subcommand(name));
    }
  }
}

}  // namespace ltsweep::cli
