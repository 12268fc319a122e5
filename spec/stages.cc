#include "spec/stages.h"

#include <algorithm>

#include <fmt/format.h>

#include "spec/expand.h"

namespace ltsweep::spec {

const char* StageFindName(StageFind f) {
  switch (f) {
    case StageFind::kNothing: return "";
    case StageFind::kLrBounds: return "lr_bounds";
    case StageFind::kPlateau: return "plateau";
  }
  return "?";
}

const std::vector<std::string>& StageValueNames(StageFind f) {
  static const std::vector<std::string> kNone, kLr = {"min_lr", "max_lr"},
                                               kPlateau = {"drw_epoch", "epoch", "milestones"};
  if (f == StageFind::kLrBounds) return kLr;
  if (f == StageFind::kPlateau) return kPlateau;
  return kNone;
}

Json PlaceholderStageValue(const std::string& value) {
  if (value == "min_lr") return 0.01;
  if (value == "max_lr") return 0.1;
  if (value == "drw_epoch") return 1;
  if (value == "epoch") return 0;
  if (value == "milestones") return Json::array({1});
  return nullptr;
}

namespace {

std::string RuleText(const StageSpec& s) {
  if (s.find == StageFind::kLrBounds) {
    const auto& o = s.lr_bounds;
    return fmt::format(
        "finds min_lr, max_lr by the range-test rule: training-batch accuracy per step (validation accuracy per "
        "epoch when the trainer sends no per-step curve), moving average of {}; min_lr where it has risen {} of the "
        "way to its peak, max_lr the last lr before it falls {} of the rise below the peak; fails when the rise is "
        "under {}",
        o.smooth > 0 ? std::to_string(o.smooth) : std::string("max(3, steps/20) steps (3 epochs)"), o.rise, o.fall,
        o.min_signal);
  }
  if (s.find == StageFind::kPlateau) {
    const auto& o = s.plateau;
    return fmt::format(
        "finds drw_epoch, epoch, milestones by the plateau rule: the first epoch >= {} holding the best "
        "val_error that the next {} epochs do not beat by {} while their mean train_loss is lower; drw_epoch "
        "and the first milestone the epoch after it, the second halfway to the end",
        o.min_epoch, o.window, o.min_delta);
  }
  return "finds nothing";
}

}  // namespace

namespace {

Json AllPlaceholders(const SweepSpec& first) {
  Json placeholders = Json::object();
  for (const StageSpec& s : first.stages)
    for (const std::string& v : StageValueNames(s.find)) placeholders[s.name][v] = PlaceholderStageValue(v);
  return placeholders;
}

}  // namespace

StatusOr<int64_t> LargestStageTrials(const std::string& yaml_text, const std::string& file_name,
                                     const SpecLimits& limits) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepSpec first, ParseSweepSpec(yaml_text, file_name, limits));
  ExpandOptions expand_options;
  expand_options.check_data_paths = false;
  int64_t most = 0;
  for (size_t i = 0; i < std::max<size_t>(1, first.stages.size()); ++i) {
    LTSWEEP_ASSIGN_OR_RETURN(SweepSpec spec, first.stages.empty() ? StatusOr<SweepSpec>(first)
                                                                  : ParseStageSpec(yaml_text, file_name, static_cast<int>(i),
                                                                                   AllPlaceholders(first), limits));
    LTSWEEP_ASSIGN_OR_RETURN(ExpandedSweep expanded, ExpandSweep(spec, expand_options));
    most = std::max<int64_t>(most, static_cast<int64_t>(expanded.trials.size()));
  }
  return most;
}

StatusOr<std::string> DescribeStages(const std::string& yaml_text, const std::string& file_name,
                                     const SpecLimits& limits) {
  LTSWEEP_ASSIGN_OR_RETURN(SweepSpec first, ParseSweepSpec(yaml_text, file_name, limits));
  if (first.stages.empty()) return std::string();
  const Json placeholders = AllPlaceholders(first);
  std::string out = fmt::format(
      "stages: {}, one after another: stage k+1's trials are made when all of stage k's have ended, with the "
      "values stage k found; a stage whose rule finds nothing fails the sweep\n",
      first.stages.size());
  ExpandOptions expand_options;
  expand_options.check_data_paths = false;
  for (size_t i = 0; i < first.stages.size(); ++i) {
    const StageSpec& s = first.stages[i];
    LTSWEEP_ASSIGN_OR_RETURN(SweepSpec spec,
                             ParseStageSpec(yaml_text, file_name, static_cast<int>(i), placeholders, limits));
    LTSWEEP_ASSIGN_OR_RETURN(ExpandedSweep expanded, ExpandSweep(spec, expand_options));
    out += fmt::format("  {}. {}: {} trial(s){}; {}\n", i + 1, s.name, expanded.trials.size(),
                       i == 0 ? "" : " (made when the stage before has ended)", RuleText(s));
    for (const StageRef& ref : s.refs)
      out += fmt::format("       {} <- ${{{}.{}}} (line {})\n", ref.where, ref.stage, ref.value, ref.line);
  }
  return out;
}

}  // namespace ltsweep::spec
