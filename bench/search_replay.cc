// bench/search_replay: how much training each search method spends and what
// it finds, replayed over recorded learning curves (prints figures, asserts
// nothing).
//
//   search_replay [--recorded FILE.json]... [--seeds 10] [--slots 4]
//                 [--no-optuna]
//
// Sets: the recorded real sweeps (bench/data/, each with its .yaml: by
// default fmnist_lt_replay.json, a method grid where half the trials defer
// re-weighting, and fmnist_lt_search.json, a hyperparameter search grid with
// no deferral; a --recorded replaces them) and a synthetic family with late
// bloomers (one member per seed). Methods, each with the
// same seeds: grid (every trial to the end), random (half the grid's trials
// in a seeded order), ASHA (hyperband rule, eta 3, min_iter 1) and the median
// rule over the grid in a seeded order, each DRW-aware (the default) and
// DRW-blind (respect_drw: false), TPE (half the grid's trials, with the
// start-up trials of run_cap = the grid's count, i.e. the first half of the
// next row; with run_cap = half; and the grid's count to see when it
// reaches the grid's best) and TPE+ASHA. Each set's
// table is followed by the target lines, counted per seed
// (bench/search_replay/replay_summary.h), and on a set with deferred trials
// the least epochs the DRW guard lets a rule spend. The same
// replay through Optuna (bench/peers/optuna_replay.py, Debian python3-optuna)
// runs after it, on the same sets, unless --no-optuna.
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/search_replay/replay_methods.h"
#include "bench/search_replay/replay_set.h"
#include "bench/search_replay/replay_summary.h"
#include "spec/bayes.h"

namespace ltsweep::bench {
namespace {

struct Args {
  // The recorded sets: the method grid and the hyperparameter search grid.
  std::vector<std::string> recorded = {std::string(LTSWEEP_SOURCE_DIR) + "/bench/data/fmnist_lt_replay.json",
                                       std::string(LTSWEEP_SOURCE_DIR) + "/bench/data/fmnist_lt_search.json"};
  int seeds = 10;
  int slots = 4;
  bool optuna = true;
};

search::EarlyStopRule Rule(search::EarlyStopType type, int epochs, bool respect_drw) {
  search::EarlyStopRule rule;
  rule.type = type;
  rule.min_iter = type == search::EarlyStopType::kHyperband ? 1 : std::max(2, epochs / 10);
  rule.max_iter = epochs;
  rule.eta = 3;
  rule.respect_drw = respect_drw;
  rule.drw_grace = 2;
  return rule;
}

void PrintSet(const std::string& title, const std::vector<ReplaySet>& members, const Args& args) {
  const ReplaySet& first = members.front();
  const int n = static_cast<int>(first.trials.size());
  double grid_best = 0;
  for (int seed = 0; seed < args.seeds; ++seed) {
    const ReplaySet& set = members[static_cast<size_t>(seed) % members.size()];
    grid_best += set.trials[set.BestTrial()].Result() / args.seeds;
  }
  const int half = std::max(1, n / 2);
  const int slots = args.slots;
  auto all_in_order = [](const ReplaySet& set) {
    std::vector<size_t> order(set.trials.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    return order;
  };
  auto tpe_options = [n](uint64_t seed) {
    search::TpeOptions o;
    o.seed = seed;
    o.n_startup_trials = spec::BayesStartupTrials(n);  // what a bayes sweep with run_cap = n uses
    return o;
  };
  const int epochs = first.epochs;
  auto run = [&](const std::string& name, const std::vector<ReplaySet>& m, int seeds, const ReplayMethod& method) {
    return Summarize(name, m, seeds, half, method);
  };
  std::vector<Summary> rows;
  rows.push_back(run("grid", members, args.seeds, [&](const ReplaySet& set, uint64_t) {
    OrderSource src(all_in_order(set));
    return Replay(set, src, std::nullopt, slots, n);
  }));
  rows.push_back(run(fmt::format("random ({} trials)", half), members, args.seeds, [&](const ReplaySet& set, uint64_t s) {
    OrderSource src(RandomOrder(set.trials.size(), s));
    return Replay(set, src, std::nullopt, slots, half);
  }));
  for (const auto& [label, type] : {std::pair{"ASHA", search::EarlyStopType::kHyperband},
                                    std::pair{"median", search::EarlyStopType::kMedian}}) {
    for (bool aware : {true, false}) {
      const search::EarlyStopRule rule = Rule(type, epochs, aware);
      rows.push_back(run(fmt::format("{} {}", label, aware ? "DRW-aware" : "DRW-blind"), members, args.seeds,
                         [&](const ReplaySet& set, uint64_t s) {
                           OrderSource src(RandomOrder(set.trials.size(), s));
                           return Replay(set, src, rule, slots, n);
                         }));
    }
  }
  rows.push_back(run(fmt::format("TPE ({} trials)", half), members, args.seeds, [&](const ReplaySet& set, uint64_t s) {
    TpeSource src(set, tpe_options(s));
    return Replay(set, src, std::nullopt, slots, half);
  }));
  // A bayes sweep with run_cap = half starts TPE after fewer random trials.
  rows.push_back(run(fmt::format("TPE (run_cap {})", half), members, args.seeds, [&](const ReplaySet& set, uint64_t s) {
    search::TpeOptions o = tpe_options(s);
    o.n_startup_trials = spec::BayesStartupTrials(half);
    TpeSource src(set, o);
    return Replay(set, src, std::nullopt, slots, half);
  }));
  rows.push_back(run(fmt::format("TPE ({} trials)", n), members, args.seeds, [&](const ReplaySet& set, uint64_t s) {
    TpeSource src(set, tpe_options(s));
    return Replay(set, src, std::nullopt, slots, n);
  }));
  rows.push_back(run(fmt::format("TPE+ASHA ({} trials)", n), members, args.seeds, [&](const ReplaySet& set, uint64_t s) {
    TpeSource src(set, tpe_options(s));
    return Replay(set, src, Rule(search::EarlyStopType::kHyperband, epochs, true), slots, n);
  }));

  std::cout << fmt::format("\n== {}: {} trials x {} epochs, {} seeds, {} workers; grid's best {:.2f}% (mean)\n", title,
                           n, epochs, args.seeds, slots, 100 * grid_best);
  std::cout << FormatTable(rows)
            << FormatTargets(rows, first, half, Rule(search::EarlyStopType::kHyperband, epochs, true),
                             Rule(search::EarlyStopType::kMedian, epochs, true));
}

void PrintUsage() {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::cout << fmt::format("\ncpu: this process user {:.2f} s sys {:.2f} s; children user {:.2f} s sys {:.2f} s; "
                           "load average {:.2f} {:.2f} {:.2f}\n",
                           secs(self.ru_utime), secs(self.ru_stime), secs(children.ru_utime),
                           secs(children.ru_stime), load[0], load[1], load[2]);
}

int Main(int argc, char** argv) {
  Args args;
  bool recorded_given = false;  // the first --recorded replaces the default sets
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--recorded") {
      if (!recorded_given) args.recorded.clear();
      recorded_given = true;
      args.recorded.push_back(value());
    }
    else if (a == "--seeds") args.seeds = std::max(1, std::atoi(value().c_str()));
    else if (a == "--slots") args.slots = std::max(1, std::atoi(value().c_str()));
    else if (a == "--no-optuna") args.optuna = false;
    else {
      std::cerr << "usage: search_replay [--recorded FILE.json]... [--seeds N] [--slots N] [--no-optuna]\n";
      return 2;
    }
  }
  std::cout << "search_replay: epochs spent and best val_error found per search method (lower is better).\n"
               "'to grid best': trials started until one completed with the grid's best result (seeds that got "
               "there); 'best stopped': seeds where early termination stopped the grid's eventual best trial.\n";
  const auto tmp = std::filesystem::temp_directory_path() / fmt::format("search_replay_{}", getpid());
  std::filesystem::create_directories(tmp);
  std::vector<std::string> recorded_files;
  for (const std::string& file : args.recorded) {
    StatusOr<ReplaySet> recorded = LoadReplaySet(file);
    if (!recorded.ok()) {
      std::cout << "\n== recorded set skipped: " << recorded.status().ToString() << "\n";
      continue;
    }
    PrintSet("recorded: " + recorded->name, {*recorded}, args);
    recorded_files.push_back(file);
  }
  std::vector<ReplaySet> family;
  for (int s = 0; s < args.seeds; ++s) family.push_back(SyntheticFamily(static_cast<uint64_t>(s)));
  PrintSet("synthetic late bloomers (one member per seed)", family, args);
  for (const ReplaySet& member : family) {
    const std::string path = (tmp / (member.name + ".json")).string();
    std::ofstream(path) << ReplaySetToJson(member).dump();
  }
  if (args.optuna) {
    std::string cmd = fmt::format("/usr/bin/python3 {}/bench/peers/optuna_replay.py --seeds {} --slots {}",
                                  LTSWEEP_SOURCE_DIR, args.seeds, args.slots);
    for (const std::string& file : recorded_files) cmd += " --recorded " + file;
    cmd += " --family " + (tmp / "synthetic-late-bloomers-").string();
    std::cout << "\n== the same replay through Optuna (" << cmd << ")\n" << std::flush;
    const int rc = std::system(cmd.c_str());
    if (rc != 0) std::cout << "optuna replay exited with status " << rc << "\n";
  }
  std::filesystem::remove_all(tmp);
  PrintUsage();
  return 0;
}

}  // namespace
}  // namespace ltsweep::bench

int main(int argc, char** argv) {
  try {
    return ltsweep::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "search_replay: " << e.what() << "\n";
    return 2;
  }
}
