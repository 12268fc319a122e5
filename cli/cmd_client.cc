// Commands against a coordinator: submit, cancel, workers, status, watch, and
// the coordinator as a source of the results commands (cli/commands.h).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "cli/commands.h"
#include "cli/coordinator_client.h"
#include "cli/security_flags.h"
#include "cli/progress.h"
#include "common/config_schema.h"
#include "common/utc_time.h"
#include "report/table_format.h"

namespace ltsweep::cli {

namespace {

template <typename T>
T ValueOrThrow(StatusOr<T> v) {
  ThrowIfError(v.status());
  return std::move(v).value();
}

std::string ReadSpecOrThrow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandError(kExitUsage, fmt::format("{}: cannot read the sweep spec", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Ago(int64_t ms) {
  if (ms <= 0) return "never";
  return FormatSeconds(static_cast<double>(NowMs() - ms) / 1e3) + " ago";
}

// Which coordinator a command calls, and how (TLS, token).
struct CoordinatorTarget {
  std::string address;  // empty: DefaultCoordinatorAddress()
  ClientSecurityFlags security;
};

// Adds --coordinator to `cmd`, defaulting to $LTSWEEP_COORDINATOR or
// localhost:50051 (resolved when the command runs), and the security flags
// (cli/security_flags.h).
void AddCoordinatorOption(CLI::App* cmd, CoordinatorTarget& target) {
  cmd->add_option("--coordinator", target.address,
                  "Coordinator address host:port (default: $LTSWEEP_COORDINATOR, else localhost:50051)");
  AddClientSecurityOptions(cmd, &target.security);
}

std::string Resolve(const std::string& address) { return address.empty() ? DefaultCoordinatorAddress() : address; }

// A client for `target`; throws a usage error for bad security flags (an
// unreadable token file, a token to a remote plain-text address).
CoordinatorClient Connect(const CoordinatorTarget& target) {
  const std::string address = Resolve(target.address);
  proto::ChannelSecurityOptions security = ValueOrThrow(ResolveClientSecurity(target.security));
  auto channel = ValueOrThrow(proto::MakeChannel(address, security, ClientChannelArguments()));
  return CoordinatorClient(address, std::move(channel), security.tls());
}

// 128 random bits in hex: one submission, however often it is sent.
std::string NewRequestId() {
  std::random_device rd;
  return fmt::format("submit-{:08x}{:08x}{:08x}{:08x}", rd(), rd(), rd(), rd());
}

// Submits, trying again (with the same request id, so the coordinator makes
// the sweep once) when the coordinator could not be reached or did not
// answer in time.
v1::SubmitSweepResponse SubmitWithRetries(CoordinatorClient& client, const std::string& yaml,
                                          const std::string& source, bool rerun) {
  const std::string request_id = NewRequestId();
  StatusOr<v1::SubmitSweepResponse> r = UnavailableError("not sent");
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(attempt));
    r = client.Submit(yaml, source, rerun, request_id);
    if (r.ok() || r.status().code() != StatusCode::kUnavailable) break;
  }
  return ValueOrThrow(std::move(r));
}

void RegisterSubmit(CLI::App& app) {
  struct Args {
    std::string spec;
    CoordinatorTarget coordinator;
    bool rerun = false, quiet = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("submit", "Submit a sweep spec to the coordinator");
  cmd->add_option("SPEC", a->spec, "Sweep spec (YAML)")->required();
  AddCoordinatorOption(cmd, a->coordinator);
  cmd->add_flag("--rerun", a->rerun, "Run trials again even when an identical config already succeeded");
  cmd->add_flag("-q,--quiet", a->quiet, "Print only the sweep id");
  cmd->footer("Example:\n  ltsweep submit sweeps/quickstart.yaml --coordinator head:50051");
  cmd->callback([a] {
    const std::string yaml = ReadSpecOrThrow(a->spec);
    CoordinatorClient client = Connect(a->coordinator);
    auto r = SubmitWithRetries(client, yaml, a->spec, a->rerun);
    if (a->quiet) {
      std::cout << r.sweep_id() << "\n";
      return;
    }
    if (r.run_cap() > 0) {
      std::cout << fmt::format("sweep {}: bayes search, up to {} trials, made as workers ask\n", r.sweep_id(),
                               r.run_cap());
      return;
    }
    std::cout << fmt::format("sweep {}: {} trials ({} queued, {} reused)\n", r.sweep_id(), r.trials_total(),
                             r.trials_queued(), r.trials_reused());
  });
}

void RegisterCancel(CLI::App& app) {
  struct Args {
    int64_t sweep = 0;
    CoordinatorTarget coordinator;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("cancel", "Cancel a sweep: queued trials never run, running ones are stopped");
  cmd->add_option("SWEEP", a->sweep, "Sweep id")->required();
  AddCoordinatorOption(cmd, a->coordinator);
  cmd->footer("Example:\n  ltsweep cancel 3");
  cmd->callback([a] {
    CoordinatorClient client = Connect(a->coordinator);
    auto r = ValueOrThrow(client.Cancel(a->sweep));
    std::cout << fmt::format("sweep {} cancelled: {} trial(s) will not finish\n", a->sweep, r.trials_cancelled());
  });
}

std::string CurrentTrials(const v1::WorkerInfo& w) {
  std::string out;
  for (const auto& c : w.current()) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} (sweep {}, epoch {})", c.trial_id(), c.sweep_id(), c.epoch());
  }
  return out.empty() ? "-" : out;
}

// "quarantined: <last error> (until 12:40:00 UTC)", or "-".
std::string Quarantine(const v1::WorkerInfo& w) {
  if (w.quarantined_until_ms() <= NowMs()) return "-";
  return fmt::format("quarantined: {} (until {})", w.last_error().empty() ? "repeated failures" : w.last_error(),
                     FormatUtcMillis(w.quarantined_until_ms()));
}

std::string Gpus(const v1::WorkerInfo& w) {
  std::string out;
  for (int g : w.gpus()) out += (out.empty() ? "" : ",") + std::to_string(g);
  return out.empty() ? "-" : out;
}

void RegisterWorkers(CLI::App& app) {
  struct Args {
    CoordinatorTarget coordinator;
    std::string format = "table", release;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("workers", "The workers the coordinator knows and what they run");
  AddCoordinatorOption(cmd, a->coordinator);
  cmd->add_option("--format", a->format, "table | csv | json | markdown (default table)");
  cmd->add_option("--release", a->release, "Lift the quarantine of worker ID now");
  cmd->footer(
      "Example:\n  ltsweep workers --coordinator head:50051\n  ltsweep workers --release gpu3-1a2b3c4d\n"
      "A worker whose last attempts kept failing (crash, cannot run here, worker fault, lost lease) is\n"
      "quarantined for a cool-down and shows 'quarantined: <last error>'.");
  cmd->callback([a] {
    CoordinatorClient client = Connect(a->coordinator);
    if (!a->release.empty()) {
      auto r = ValueOrThrow(client.ReleaseWorker(a->release));
      std::cout << (r.released() ? fmt::format("worker {} released from quarantine\n", a->release)
                                 : fmt::format("worker {} was not quarantined\n", a->release));
      return;
    }
    const auto format = ValueOrThrow(report::ParseOutputFormat(a->format));
    auto r = ValueOrThrow(client.ListWorkers());
    report::TextGrid grid;
    grid.header = {"worker", "host", "slots", "gpus", "state", "last_seen", "trials", "quarantine"};
    grid.numeric = {false, false, true, false, false, false, false, false};
    for (const auto& w : r.workers()) {
      grid.rows.push_back({w.worker_id(), w.host(), std::to_string(w.slots()), Gpus(w), w.state(),
                           Ago(w.last_seen_ms()), CurrentTrials(w), Quarantine(w)});
    }
    std::cout << report::FormatGrid(grid, format);
  });
}

// "stage 1 range_test (find lr_bounds): done, 1 trial(s); found {...}".
std::string StageLine(const v1::SweepStage& st) {
  std::string line = fmt::format("stage {} {}{}: {}, {} trial(s)", st.stage() + 1, st.name(),
                                 st.find().empty() ? "" : " (find " + st.find() + ")", st.state(), st.trials());
  if (!st.found_json().empty() && st.found_json() != "{}") line += "; found " + st.found_json();
  if (!st.error().empty()) line += "; " + st.error();
  if (!st.evidence_json().empty()) {
    const Json evidence = Json::parse(st.evidence_json(), nullptr, false);
    if (evidence.is_object() && evidence.contains("rule")) line += "\n        rule: " + evidence["rule"].get<std::string>();
  }
  return line;
}

void RegisterStatus(CLI::App& app) {
  struct Args {
    int64_t sweep = 0;
    CoordinatorTarget coordinator;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("status", "Progress per sweep (trial counts, ETA) and per worker");
  cmd->add_option("SWEEP", a->sweep, "Only this sweep (default: every sweep)");
  AddCoordinatorOption(cmd, a->coordinator);
  cmd->footer(
      "Example:\n  ltsweep status\n  ltsweep status 3 --coordinator head:50051\n"
      "A staged sweep (stages:) lists its stages: state, trials, the values each found and the rule's numbers.");
  cmd->callback([a] {
    CoordinatorClient client = Connect(a->coordinator);
    std::vector<v1::SweepInfo> sweeps;
    if (a->sweep > 0) {
      sweeps.push_back(ValueOrThrow(client.GetSweep(a->sweep)));
    } else {
      auto all = ValueOrThrow(client.ListSweeps());
      sweeps.assign(all.sweeps().begin(), all.sweeps().end());
    }
    std::cout << "sweeps:\n";
    if (sweeps.empty()) std::cout << "  (none)\n";
    for (const auto& s : sweeps) {
      ProgressTracker tracker(s.sweep_id(), s.created_ms());
      auto p = ValueOrThrow(tracker.Poll(client));
      for (const auto& line : ProgressLines(p)) std::cout << "  " << line << "\n";
      if (!s.waiting().empty()) std::cout << "    waiting: " << s.waiting() << "\n";
      for (const auto& st : s.stages()) std::cout << "    " << StageLine(st) << "\n";
    }
    auto workers = ValueOrThrow(client.ListWorkers());
    std::cout << "workers:\n";
    if (workers.workers_size() == 0) std::cout << "  (none)\n";
    for (const auto& w : workers.workers()) {
      std::cout << fmt::format("  {} on {}: {}, {} slot(s), gpus {}, last seen {}, running {}/{}: {}{}\n",
                               w.worker_id(), w.host(), w.state(), w.slots(), Gpus(w), Ago(w.last_seen_ms()),
                               w.current_size(), w.slots(), CurrentTrials(w),
                               Quarantine(w) == "-" ? "" : "; " + Quarantine(w));
    }
  });
}

void RegisterWatch(CLI::App& app) {
  struct Args {
    int64_t sweep = 0;
    CoordinatorTarget coordinator;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("watch", "Live progress of a sweep on stderr until it ends");
  cmd->add_option("SWEEP", a->sweep, "Sweep id")->required();
  AddCoordinatorOption(cmd, a->coordinator);
  cmd->footer(
      "Example:\n  ltsweep watch 3\nExit status: 0 when every trial succeeded (or was stopped early by the sweep's "
      "early_terminate), 1 when any failed or the sweep was cancelled.");
  cmd->callback([a] {
    CoordinatorClient client = Connect(a->coordinator);
    ProgressTracker tracker(a->sweep);
    ProgressRenderer renderer(std::cerr, isatty(STDERR_FILENO) != 0);
    SweepProgress p = ValueOrThrow(tracker.Poll(client));  // unknown sweep: exit 2 here
    renderer.Draw(p);
    // The event stream wakes the loop at each trial state change; metrics
    // (epochs, loss) are polled every second in between.
    std::mutex mu;
    std::condition_variable cv;
    bool changed = false, ended = false;
    Status stream_status;
    grpc::ClientContext ctx;
    std::thread stream([&] {
      Status s = client.Watch(
          a->sweep,
          [&](const v1::SweepEvent&) {
            std::lock_guard<std::mutex> lock(mu);
            changed = true;
            cv.notify_all();
            return true;
          },
          &ctx);
      std::lock_guard<std::mutex> lock(mu);
      stream_status = s;
      ended = true;
      cv.notify_all();
    });
    Status error;
    while (!p.Finished()) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, std::chrono::seconds(1), [&] { return changed || ended; });
        changed = false;
        if (ended && !stream_status.ok()) {
          error = stream_status;
          break;
        }
      }
      auto next = tracker.Poll(client);
      if (!next.ok()) {
        error = next.status();
        break;
      }
      p = std::move(next).value();
      renderer.Draw(p);
    }
    ctx.TryCancel();
    stream.join();
    renderer.Finish();
    ThrowIfError(error);
    if (p.failed > 0 || p.cancelled > 0 || p.state == "failed" || p.state == "cancelled") {
      throw CommandError(kExitFailure, fmt::format("sweep {} ended with {} failed and {} cancelled trial(s)",
                                                   p.sweep_id, p.failed, p.cancelled));
    }
  });
}

}  // namespace

// results / best / trial / curves / report: the database file with --db,
// the coordinator with --coordinator (or $LTSWEEP_COORDINATOR).
ResultsSources CoordinatorResultsSources() {
  auto target = std::make_shared<CoordinatorTarget>();
  ResultsSources sources;
  sources.enabled = [target] {
    const char* env = std::getenv("LTSWEEP_COORDINATOR");
    return !target->address.empty() || (env != nullptr && env[0] != '\0');
  };
  sources.fetch_sweep = [target](int64_t sweep_id, bool started_only) {
    CoordinatorClient client = Connect(*target);
    return client.FetchSweepHistory(sweep_id, started_only);
  };
  sources.fetch_trial = [target](int64_t trial_id) {
    CoordinatorClient client = Connect(*target);
    return client.FetchTrialHistory(trial_id);
  };
  sources.add_options = [target](CLI::App* cmd) {
    cmd->add_option(
        "--coordinator", target->address,
        "Ask the coordinator at host:port instead of reading a database file (default: $LTSWEEP_COORDINATOR "
        "when set)");
    AddClientSecurityOptions(cmd, &target->security);
  };
  return sources;
}

void RegisterClientCommands(CLI::App& app) {
  RegisterSubmit(app);
  RegisterCancel(app);
  RegisterWorkers(app);
  RegisterStatus(app);
  RegisterWatch(app);
}

}  // namespace ltsweep::cli
