// Which trials of a staged sweep (`stages:`, spec/stages.h) a results table
// shows. A staged sweep's trials are of different kinds -- the LR range
// test's, the constant-lr plateau run's, the real grid's -- and a table that
// mixed them would rank a range-test trial against the grid. So `ltsweep
// results`, `best`, `report`, `run` and the dashboard show one stage: by
// default the latest stage that has trials (the last stage once it runs),
// with a note of how many trials of other stages were left out; `--stage K`
// (1-based) picks stage K and `--all-stages` shows every stage with a
// "stage" key column (ResultsOptions::stages), so no row mixes two stages.
//
// A trial's stage is the stage whose ordinal range holds its ordinal
// (StageRecord::first_ordinal, n_trials; store/store_stages.cc).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "report/aggregate.h"
#include "store/types.h"

namespace ltsweep::report {

// What the user asked for.
struct StageChoice {
  int stage = 0;            // --stage K, 1-based; 0: the default
  bool all_stages = false;  // --all-stages
};

// The stage shown and what was left out. For a sweep without stages:
// staged false, nothing filtered.
struct StageView {
  bool staged = false;
  bool all_stages = false;
  int stage = -1;              // 0-based stage shown; -1 with all_stages or without stages
  std::string stage_name;
  int n_stages = 0;
  bool later_ones_left_out = false;  // a stage after the one shown has trials
  size_t left_out = 0;         // trials of other stages left out (set by KeepStageTrials)
  std::vector<StageSpan> spans;  // every stage's ordinals

  // True when trials of other stages are left out.
  bool filters() const { return staged && !all_stages; }
  // "stage 3 of 3 (grid); 2 trials of earlier stages not shown: --stage K
  // shows stage K, --all-stages every stage" (the part after ':' with
  // `with_flags` only); "all 3 stages (the stage column says which)"; ""
  // without stages.
  std::string Note(bool with_flags = true) const;
};

// The spans of `stages` (their ordinal ranges), in stage order.
std::vector<StageSpan> StageSpans(const std::vector<StageRecord>& stages);

// Resolves `choice` on a sweep's stages. INVALID_ARGUMENT naming the flag:
// --stage or --all-stages on a sweep without stages, K outside 1..stages,
// both given.
StatusOr<StageView> ChooseStage(int64_t sweep_id, const std::vector<StageRecord>& stages, const StageChoice& choice);

// Removes from `trials` the trials of other stages than `view`'s (none when
// it does not filter) and counts them in view.left_out.
void KeepStageTrials(StageView& view, std::vector<TrialHistory>& trials);

// A copy of `trials` holding only `view`'s stage (counted in left_out).
std::vector<TrialHistory> StageTrials(StageView& view, const std::vector<TrialHistory>& trials);

// Sets options.stages when the stage column belongs in the table: with
// --all-stages always; with one stage only for machine formats (JSON, CSV),
// so their columns do not depend on the choice.
void AddStageColumn(const StageView& view, bool machine_format, ResultsOptions& options);

}  // namespace ltsweep::report
