// `ltsweep validate` and `ltsweep expand`: check a sweep spec and print its
// trials, without a coordinator.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "common/config_hash.h"
#include "spec/bayes.h"
#include "spec/config_doc.h"
#include "spec/expand.h"
#include "spec/schedule_checks.h"
#include "spec/stages.h"
#include "spec/sweep_spec.h"

namespace ltsweep::cli {
namespace {

struct SpecArgs {
  std::string path;
  int64_t max_trials = spec::ExpandOptions{}.max_trials;
  bool no_check_paths = false;
  bool print_schema = false;
  std::string text;  // the spec's text, kept by Load for a staged spec
};

void AddCommonOptions(CLI::App* cmd, SpecArgs* args) {
  cmd->add_option("--max-trials", args->max_trials, "Refuse sweeps with more trials than this")
      ->default_val(args->max_trials)
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--no-check-paths", args->no_check_paths,
                "Do not check that data.root folders exist (when the data lives on the workers only)");
}

// Reads and parses the spec; "-" reads standard input. A staged spec's text
// is kept in args.text (spec::DescribeStages reads it again).
spec::SweepSpec Load(SpecArgs& args) {
  StatusOr<spec::SweepSpec> parsed = [&]() -> StatusOr<spec::SweepSpec> {
    if (args.path == "-") {
      args.text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
      return spec::ParseSweepSpec(args.text, "<stdin>");
    }
    return spec::LoadSweepSpecFile(args.path);
  }();
  ThrowIfError(parsed.status());
  if (!parsed->stages.empty() && args.path != "-") {  // within the size limit: it parsed
    std::ifstream in(args.path, std::ios::binary);
    args.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return std::move(parsed).value();
}

spec::ExpandOptions Options(const SpecArgs& args) {
  spec::ExpandOptions options;
  options.max_trials = args.max_trials;
  options.check_data_paths = !args.no_check_paths;
  return options;
}

// Reads, parses and expands the spec (a bayes spec is refused: its trials
// are not known in advance).
std::pair<spec::SweepSpec, spec::ExpandedSweep> LoadAndExpand(SpecArgs& args) {
  spec::SweepSpec parsed = Load(args);
  auto expanded = spec::ExpandSweep(parsed, Options(args));
  ThrowIfError(expanded.status());
  return {std::move(parsed), std::move(expanded).value()};
}

void RunValidate(SpecArgs& args) {
  if (args.print_schema) {
    std::cout << spec::RenderConfigKeyTable();
    return;
  }
  if (args.path.empty()) throw CommandError(kExitUsage, "validate: SPEC is required (see ltsweep validate --help)");
  spec::SweepSpec parsed = Load(args);
  if (parsed.method == spec::SearchMethod::kBayes) {
    auto plan = spec::ValidateBayesSweep(parsed, Options(args));
    ThrowIfError(plan.status());
    std::cout << *plan;
    return;
  }
  auto expanded = spec::ExpandSweep(parsed, Options(args));
  ThrowIfError(expanded.status());
  if (!parsed.stages.empty()) std::cout << "stage 1 (" << parsed.stages[0].name << "):\n";
  std::cout << spec::SummarizeSweep(parsed, *expanded);
  if (!parsed.stages.empty()) {
    auto plan = spec::DescribeStages(args.text, parsed.file_name);
    ThrowIfError(plan.status());
    std::cout << *plan;
  }
  for (const std::string& w : spec::DeferralWarnings(*expanded)) std::cerr << "ltsweep: warning: " << w << "\n";
}

void RunExpand(SpecArgs& args) {
  auto [sweep, expanded] = LoadAndExpand(args);
  for (const auto& trial : expanded.trials) {
    std::cout << fmt::format("{{\"hash\":\"{}\",\"config\":{}}}\n", trial.hash, CanonicalJson(trial.config));
  }
  std::cout.flush();
  std::cerr << fmt::format("ltsweep: {} trials from {} ({} duplicates collapsed)\n", expanded.trials.size(),
                           args.path, expanded.collapsed);
  if (sweep.stages.size() > 1) {
    std::cerr << fmt::format("ltsweep: these are stage 1's ({}); stages 2..{} depend on what the stages before "
                             "them find, so their trials are made while the sweep runs (ltsweep validate shows "
                             "the plan)\n",
                             sweep.stages[0].name, sweep.stages.size());
  }
}

}  // namespace

void RegisterSpecCommands(CLI::App& app) {
  auto validate_args = std::make_shared<SpecArgs>();
  CLI::App* validate = app.add_subcommand("validate", "Check a sweep spec and print its trial count and axes");
  validate->add_option("spec", validate_args->path, "Sweep spec (YAML); - reads standard input");
  AddCommonOptions(validate, validate_args.get());
  validate->add_flag("--print-schema", validate_args->print_schema,
                     "Print the trial-config key table of docs/sweep-spec.md")
      ->group("");  // hidden: used to regenerate the docs
  validate->footer(
      "Example:\n  ltsweep validate sweeps/quickstart.yaml\n  ltsweep validate big_sweep.yaml --max-trials 500000\n"
      "  ltsweep validate sweeps/fmnist_lt_bayes.yaml   # method: bayes: prints the space, run_cap, start-up trials\n\n"
      "  ltsweep validate sweeps/fmnist_lt_scheme.yaml  # stages: what each stage runs, finds and takes\n\n"
      "Warnings (stderr, exit status still 0): DRW/DRS (method.drw_epoch) starting before the learning rate's\n"
      "first drop, as the reference never does; each distinct warning once.\n"
      "Exit status: 0 valid, 2 invalid (the error names the file, line and key).\n");
  validate->callback([validate_args] { RunValidate(*validate_args); });

  auto expand_args = std::make_shared<SpecArgs>();
  CLI::App* expand = app.add_subcommand("expand", "Print every trial of a sweep spec as one JSON line");
  expand->add_option("spec", expand_args->path, "Sweep spec (YAML); - reads standard input")->required();
  AddCommonOptions(expand, expand_args.get());
  expand->footer(
      "Example:\n  ltsweep expand sweeps/quickstart.yaml > trials.jsonl\n"
      "  ltsweep expand sweeps/quickstart.yaml | head -1 | jq .config.method\n\n"
      "Each line is {\"hash\": SHA-256 of the canonical config, \"config\": the fully resolved trial config}.\n"
      "A method: bayes spec is refused: its trials are chosen while it runs (see ltsweep validate).\n"
      "A staged spec (stages:) prints stage 1's trials; the later stages' depend on what it finds.\n");
  expand->callback([expand_args] { RunExpand(*expand_args); });
}

}  // namespace ltsweep::cli
