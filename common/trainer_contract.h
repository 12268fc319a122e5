// The trainer contract: everything `ltsweep-train`, the worker, the fake
// trainer and the tests must agree on, in one place.
//
//   ltsweep-train --config trial.json [--checkpoint-dir DIR] [--resume]
//                 [--threads N] [--device cpu|cuda|cuda:N]
//                 [--gpu-memory-fraction F]
//                 [--print-config] [--stop-after EPOCHS]
//
// Input: one JSON object, the trial config (defaults come from
// common/config_schema.h). Output: one JSON object per line on stdout, each
// with a string "event" field, flushed as it happens; human-readable progress
// goes to stderr. The exit status says how the trial ended (kExit* below) and
// ClassifyExit() turns it into what the scheduler does next.
//
// Thread-safety: constants and a pure function.
#pragma once

#include <string>

namespace ltsweep::contract {

// ---- Exit status -----------------------------------------------------------

inline constexpr int kExitOk = 0;             // finished; the last line was a done event
inline constexpr int kExitCrash = 1;          // an unexpected error (any unlisted status counts the same)
inline constexpr int kExitInvalidConfig = 2;  // the config is invalid: final everywhere
inline constexpr int kExitUnusableData = 3;   // the data the config names is unusable: final
inline constexpr int kExitInterrupted = 4;    // SIGTERM received, checkpoint written, resumable
// This machine cannot run the trial (no CUDA, data missing on this node, disk
// full): another worker may.
inline constexpr int kExitCannotRunHere = 5;

// ---- Command-line flags ----------------------------------------------------

inline constexpr const char* kFlagConfig = "--config";
inline constexpr const char* kFlagCheckpointDir = "--checkpoint-dir";
inline constexpr const char* kFlagResume = "--resume";
inline constexpr const char* kFlagThreads = "--threads";
inline constexpr const char* kFlagDevice = "--device";
inline constexpr const char* kFlagPrintConfig = "--print-config";
// The share (0 < F <= 1) of each CUDA device's memory this trainer may use,
// when K trials share a GPU (`ltsweep worker --trials-per-gpu K` passes
// 1/K): the CUDA caching allocator's per-process memory fraction. A trial
// that runs out of device memory exits kExitCannotRunHere ("does not fit").
// Ignored with a note on stderr on --device cpu.
inline constexpr const char* kFlagGpuMemoryFraction = "--gpu-memory-fraction";
// Stops after N epochs of this process exactly as SIGTERM would (tests).
inline constexpr const char* kFlagStopAfter = "--stop-after";

// ---- Events (stdout, one JSON object per line) -----------------------------

// Every event carries its kind in this field.
inline constexpr const char* kFieldEvent = "event";

// {"event":"start", ...}: training begins (fields are informational, except
// the runtime fields below, which every trainer emits).
inline constexpr const char* kEventStart = "start";
// {"event":"epoch","epoch":E, <numeric metrics>, "per_class_<m>":[...],
//  <other JSON payloads, e.g. "confusion">}: one per evaluated epoch.
//
// Replay on --resume: before training any further epoch (after the start
// event), a resumed trainer re-emits, in epoch order, one epoch event per epoch
// its checkpoint already holds, with the same fields as when that epoch first
// ran plus "replayed": true (kFieldReplayed). The attempt that resumes is the
// one allowed to write, and the earlier attempt's rows may have been refused
// (its lease was lost while they sat in the worker's outbox), so this is what
// keeps a resumed trial's history whole. The worker stores replayed events
// like any epoch event (writes are idempotent on (trial, attempt, epoch)); the
// "replayed" flag itself is not a metric and is not stored.
inline constexpr const char* kEventEpoch = "epoch";
// {"event":"checkpoint","epoch":E,"path":P[,"interrupted":true]}: state saved.
inline constexpr const char* kEventCheckpoint = "checkpoint";
// {"event":"done","best_val_error":..,"best_epoch":..,"last_val_error":..,...}:
// the final summary; the last line of a successful run.
inline constexpr const char* kEventDone = "done";
// In the done event of an LR range test (train.lr_schedule.type range_test):
// "range_test_curve": [[lr, loss, accuracy], ...], the per-step curve in step
// order (accuracy: the training batch's, in [0, 1]; loss: null when not
// finite), evenly subsampled to at most kRangeTestCurveMaxPoints points with
// the first and last step kept. The stage rule `find: lr_bounds` reads it
// (coordinator/stage_runner.cc); without it, the per-epoch validation points.
inline constexpr const char* kFieldRangeTestCurve = "range_test_curve";
inline constexpr int kRangeTestCurveMaxPoints = 1000;
// {"event":"range_test","step":S,"epoch":E,"lr":..,...}: LR range test steps.
inline constexpr const char* kEventRangeTest = "range_test";

inline constexpr const char* kFieldEpoch = "epoch";
inline constexpr const char* kFieldPath = "path";
inline constexpr const char* kFieldInterrupted = "interrupted";
// true on an epoch event re-emitted from a checkpoint on --resume (above).
inline constexpr const char* kFieldReplayed = "replayed";
inline constexpr const char* kFieldBestValError = "best_val_error";
inline constexpr const char* kFieldBestEpoch = "best_epoch";
inline constexpr const char* kFieldLastValError = "last_val_error";
// What the attempt runs with, on the start event (results on CPU depend on
// the thread count). The worker relays them with the attempt's first metric
// report and the store keeps them on the attempt row:
inline constexpr const char* kFieldThreads = "threads";            // intra-op threads (integer >= 1)
inline constexpr const char* kFieldBlas = "blas";                  // BLAS library and version, e.g. "OpenBLAS 0.3.21 ..."
inline constexpr const char* kFieldBlasThreads = "blas_threads";   // the BLAS library's own threads (0: unknown)
inline constexpr const char* kFieldDevice = "device";              // "cpu", "cuda" or "cuda:N"
// Numeric arrays whose name starts with this prefix are per-class metrics:
// "per_class_error" is stored as one row per class under the name "error".
inline constexpr const char* kPerClassPrefix = "per_class_";

// ---- What an exit means ----------------------------------------------------

enum class ExitClass {
  kSucceeded,       // store the result
  kPermanent,       // the trial fails for good (invalid config, unusable data)
  kRetryElsewhere,  // this machine cannot run it: another worker should, no try used
  kRetry,           // a crash: retry, using up one of the trial's tries
  kInterrupted,     // stopped because the worker asked: requeue, no try used
};

// How a trainer process ended, as the worker saw it.
struct TrainerExit {
  bool signaled = false;  // killed by a signal (then `signal` is set)
  int code = 0;           // exit status when !signaled
  int signal = 0;
  bool saw_done = false;       // a done event was read from stdout
  bool asked_to_stop = false;  // the worker sent SIGTERM itself
};

struct ExitVerdict {
  ExitClass cls = ExitClass::kRetry;
  std::string reason;  // empty for kSucceeded; else a sentence for the attempt's error
};

// The one rule for every trainer exit:
//   0 with a done event            -> kSucceeded
//   0 without one                  -> kRetry ("exited 0 without a done event")
//   2, 3                           -> kPermanent (the stderr tail is the error)
//   4 after the worker's SIGTERM   -> kInterrupted
//   4 nobody asked for             -> kRetry (so a self-stopping trainer cannot loop)
//   5                              -> kRetryElsewhere
//   any other status or a signal   -> kRetry ("trainer crashed: ...")
ExitVerdict ClassifyExit(const TrainerExit& exit);

// "exit status 3" or "killed by signal 9 (Killed)".
std::string DescribeExit(const TrainerExit& exit);

}  // namespace ltsweep::contract
