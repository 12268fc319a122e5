// The HTML report's section on a staged sweep (`stages:`, spec/stages.h):
// each stage, what it found and the rule's line, with the curve the rule
// read -- the LR range test (accuracy and its moving average, and loss,
// against log10(lr): per step, training batches, when the rule read the
// trainer's per-step curve, else per epoch, validation) with the chosen min_lr / max_lr
// marked, and the plateau run (val_error and train_loss by epoch) with the
// chosen DRW epoch marked. Reads only StageRecord::evidence_json.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "store/types.h"

namespace ltsweep::report {

// One SVG per chart of `stage` (none for a stage that found nothing).
std::vector<std::string> StageCharts(const StageRecord& stage);

// "<h2>Stages</h2>..." (a table of the stages and their findings, then the
// charts); "" for a sweep without stages.
std::string StagesSectionHtml(const std::vector<StageRecord>& stages);

}  // namespace ltsweep::report
