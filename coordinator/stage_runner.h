// StageRunner: moves staged sweeps (`stages:`, spec/stages.h) from one stage
// to the next. When every trial of a sweep's running stage has ended, it
// runs the stage's rule (search/stage_rules.h) on the stage's trial, keeps
// the values found and the rule's evidence, and makes the next stage's
// trials from the spec with those values filled in -- one store write
// (Store::AdvanceStage). A rule that finds nothing, a stage whose trial did
// not succeed, or a next stage that cannot take the values fails the sweep
// with the reason (Store::FailStage).
//
// All state is in the store: a coordinator killed between stages finds the
// same stage ready when it restarts and does the same thing (the rule is a
// pure function of the stored curve).
//
// Ownership: borrows the Store. Thread-safety: not thread-safe; called only
// from the scheduler thread (coordinator/scheduler.h).
#pragma once

#include <string>
#include <vector>

#include "common/log.h"
#include "common/status.h"
#include "spec/stage_spec.h"
#include "store/store.h"

namespace ltsweep::coordinator {

// What a stage's rule made of its trials.
struct StageOutcome {
  bool ok = false;
  Json values = Json::object();    // the values found (ok)
  Json evidence = Json::object();  // the rule's numbers and the curve read
  std::string error;               // why nothing was found (!ok)
};

// Runs `stage`'s rule on its trials (a finding stage has one). Pure.
StageOutcome JudgeStage(const spec::StageSpec& stage, const std::vector<TrialHistory>& trials);

// The LR range test's points from a trial: one per evaluated epoch, the lr
// of the epoch's last step (train.lr_schedule min_lr..max_lr, linear over
// train.epochs x the "iterations" metric) and 1 - val_error after it.
std::vector<search::RangePoint> RangePointsOf(const TrialHistory& trial);

// The trainer's per-step range-test curve from the trial's done payload
// (contract::kFieldRangeTestCurve): one point per kept step, in step order
// (RangePoint::epoch = index in the curve, accuracy = training-batch
// accuracy, loss = the batch's loss); empty when the done event has none
// (JudgeStage then reads RangePointsOf).
std::vector<search::RangePoint> RangeStepsOf(const TrialHistory& trial);
// The plateau rule's curve: epochs with both train_loss and val_error.
std::vector<search::CurvePoint> CurvePointsOf(const TrialHistory& trial);

class StageRunner {
 public:
  // `log` may be empty.
  StageRunner(Store& store, LogFn log) : store_(store), log_(std::move(log)) {}

  // One pass over the stages ready to advance; returns how many it advanced
  // or failed. A store error stops the pass (the next one retries).
  StatusOr<int> Tick();

 private:
  Status Advance(const StageToAdvance& ready);
  void Log(const std::string& line) const {
    if (log_) log_(line);
  }

  Store& store_;
  LogFn log_;
};

}  // namespace ltsweep::coordinator
