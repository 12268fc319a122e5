// ltsweep logs TRIAL: a trial's log (its trainer's stderr, the last 1 MiB of
// each attempt), from the coordinator or from a results database file
// (cli/commands.h, cli/log_follow.h).
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/coordinator_client.h"
#include "cli/log_follow.h"
#include "cli/security_flags.h"
#include "common/trial_logs.h"
#include "coordinator/convert.h"
#include "store/store.h"

namespace ltsweep::cli {

namespace {

struct LogsArgs {
  int64_t trial = 0;
  int attempt = 0;
  bool follow = false;
  std::string db;
  std::string coordinator;
  ClientSecurityFlags security;
};

bool CoordinatorGiven(const LogsArgs& a) {
  const char* env = std::getenv("LTSWEEP_COORDINATOR");
  return !a.coordinator.empty() || (env != nullptr && env[0] != '\0');
}

// Reads from the coordinator (GetTrialLogs).
LogReadFn CoordinatorReader(const LogsArgs& a) {
  const std::string address = a.coordinator.empty() ? DefaultCoordinatorAddress() : a.coordinator;
  StatusOr<proto::ChannelSecurityOptions> security = ResolveClientSecurity(a.security);
  if (!security.ok()) throw CommandError(kExitUsage, security.status().message());
  auto channel = proto::MakeChannel(address, *security, ClientChannelArguments());
  if (!channel.ok()) throw CommandError(kExitUsage, channel.status().message());
  auto client = std::make_shared<CoordinatorClient>(address, std::move(channel).value(), security->tls());
  const int64_t trial = a.trial;
  return [client, trial](std::optional<int> attempt, int64_t from) -> StatusOr<TrialLog> {
    LTSWEEP_ASSIGN_OR_RETURN(v1::GetTrialLogsResponse r, client->GetTrialLogs(trial, attempt.value_or(0), from));
    return coordinator::TrialLogFromProto(r, from);
  };
}

// Reads the results database file (read-only, beside a running `ltsweep run`).
LogReadFn DatabaseReader(const LogsArgs& a) {
  std::string path = a.db;
  if (path.empty()) {
    const char* env = std::getenv("LTSWEEP_DB");
    path = env != nullptr && env[0] != '\0' ? env : "ltsweep.db";
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw CommandError(kExitUsage,
                       fmt::format("results database {} does not exist (give --db PATH or --coordinator ADDR)", path));
  }
  StoreOptions options;
  options.read_only = true;
  StatusOr<std::unique_ptr<Store>> opened = Store::Open(path, options);
  ThrowIfError(opened.status());
  std::shared_ptr<Store> store = std::move(opened).value();
  const int64_t trial = a.trial;
  return [store, trial](std::optional<int> attempt, int64_t from) {
    TrialLogRequest request;
    request.trial_id = trial;
    request.attempt = attempt;
    request.from_offset = from;
    return store->GetTrialLogs(request);
  };
}

}  // namespace

void RegisterLogCommands(CLI::App& app) {
  auto a = std::make_shared<LogsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "logs", "Print a trial's log (its trainer's stderr: the last 1 MiB of each attempt); -f follows it");
  cmd->add_option("TRIAL", a->trial, "Trial id")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--attempt", a->attempt, "Attempt number (default: the trial's latest)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-f,--follow", a->follow,
                "Follow a running attempt: print new lines as they come, exit 0 when the attempt ends "
                "(waits for a queued trial to start)");
  cmd->add_option("--db", a->db, "Read this results database file (default: $LTSWEEP_DB, else ./ltsweep.db)");
  cmd->add_option("--coordinator", a->coordinator,
                  "Ask the coordinator at host:port instead of reading a database file (default: "
                  "$LTSWEEP_COORDINATOR when set)");
  AddClientSecurityOptions(cmd, &a->security);
  cmd->footer(
      "Only the last 1 MiB of each attempt's stderr is kept; a note on stderr says where bytes were dropped.\n"
      "Examples:\n"
      "  ltsweep logs 12 -f --coordinator head:50051   # follow trial 12 until its attempt ends\n"
      "  ltsweep logs 12 --attempt 1 --db sweeps.db    # the first attempt, from the file `ltsweep run` wrote");
  cmd->callback([a] {
    if (!a->db.empty() && !a->coordinator.empty()) {
      throw CommandError(kExitUsage, "give --db or --coordinator, not both");
    }
    const bool remote = a->db.empty() && CoordinatorGiven(*a);
    FollowOptions options;
    options.follow = a->follow;
    if (a->attempt > 0) options.attempt = a->attempt;
    options.transient = [](const Status& s) { return s.code() == StatusCode::kUnavailable; };
    const LogReadFn read = remote ? CoordinatorReader(*a) : DatabaseReader(*a);
    ThrowIfError(PrintTrialLog(read, options, std::cout, std::cerr));
  });
}

}  // namespace ltsweep::cli
