#include "report/stage_filter.h"

#include <algorithm>

#include <fmt/format.h>

namespace ltsweep::report {

std::string StageView::Note(bool with_flags) const {
  if (!staged) return "";
  if (all_stages) return fmt::format("all {} stages (the stage column says which)", n_stages);
  std::string out = fmt::format("stage {} of {} ({})", stage + 1, n_stages, stage_name);
  if (left_out == 0) return out;
  out += fmt::format("; {} trial{} of {} stages not shown", left_out, left_out == 1 ? "" : "s",
                    later_ones_left_out ? "other" : "earlier");
  return with_flags ? out + ": --stage K shows stage K, --all-stages every stage" : out;
}

std::vector<StageSpan> StageSpans(const std::vector<StageRecord>& stages) {
  std::vector<StageSpan> out;
  for (const StageRecord& s : stages) out.push_back(StageSpan{s.stage, s.first_ordinal, s.n_trials});
  return out;
}

StatusOr<StageView> ChooseStage(int64_t sweep_id, const std::vector<StageRecord>& stages, const StageChoice& choice) {
  StageView view;
  if (stages.empty()) {
    if (choice.stage != 0 || choice.all_stages) {
      return InvalidArgumentError(fmt::format("{}: sweep {} has no stages (its spec has no stages:)",
                                              choice.all_stages ? "--all-stages" : "--stage", sweep_id));
    }
    return view;
  }
  const int n = static_cast<int>(stages.size());
  if (choice.stage != 0 && choice.all_stages) {
    return InvalidArgumentError("--stage and --all-stages: give one of them");
  }
  if (choice.stage < 0 || choice.stage > n) {
    return InvalidArgumentError(fmt::format("--stage {}: sweep {} has {} stages (1..{})", choice.stage, sweep_id, n, n));
  }
  view.staged = true;
  view.n_stages = n;
  view.spans = StageSpans(stages);
  view.all_stages = choice.all_stages;
  if (view.all_stages) return view;
  if (choice.stage != 0) {
    view.stage = choice.stage - 1;
  } else {  // the latest stage that has trials
    view.stage = 0;
    for (const StageRecord& s : stages) {
      if (s.state != "waiting" && s.state != "skipped") view.stage = s.stage;
    }
  }
  view.stage_name = stages[static_cast<size_t>(view.stage)].name;
  return view;
}

namespace {

// True when `t` belongs in `view`; notes a later stage left out.
bool Shown(StageView& view, const TrialHistory& t) {
  const std::optional<int> stage = StageOfOrdinal(view.spans, t.trial.ordinal);
  if (stage && *stage == view.stage) return true;
  ++view.left_out;
  if (stage && *stage > view.stage) view.later_ones_left_out = true;
  return false;
}

}  // namespace

void KeepStageTrials(StageView& view, std::vector<TrialHistory>& trials) {
  if (!view.filters()) return;
  trials.erase(std::remove_if(trials.begin(), trials.end(), [&](const TrialHistory& t) { return !Shown(view, t); }),
               trials.end());
}

std::vector<TrialHistory> StageTrials(StageView& view, const std::vector<TrialHistory>& trials) {
  if (!view.filters()) return trials;
  std::vector<TrialHistory> out;
  for (const TrialHistory& t : trials) {
    if (Shown(view, t)) out.push_back(t);
  }
  return out;
}

void AddStageColumn(const StageView& view, bool machine_format, ResultsOptions& options) {
  if (view.staged && (view.all_stages || machine_format)) options.stages = view.spans;
}

}  // namespace ltsweep::report
