// TrialRuntime: how one trial runs, as opposed to what it computes (the trial
// config). Filled by ltsweep-train's main() from its command line and handed
// by const reference to the image track (RunImageTrial) and the text track
// (RunTextTrial), so both obey the same process contract (DESIGN.md).
//
// Ownership: plain values; `interrupt` is borrowed and must outlive the trial
// (main() points it at the flag its SIGTERM handler sets).
// Thread-safety: read-only during a trial; `interrupt` is an atomic that a
// signal handler may set at any time. Trials poll it at batch boundaries.
#pragma once

#include <atomic>
#include <string>

namespace ltsweep::trainer {

struct TrialRuntime {
  // Intra-op threads for LibTorch (at::set_num_threads). Default: all cores
  // (main() resolves 0 to std::thread::hardware_concurrency()).
  int threads = 1;
  // "cpu", "cuda" or "cuda:N". Default resolved by main(): cuda if available.
  std::string device = "cpu";
  // Folder for checkpoint.pt and checkpoint.prev.pt (the file names and
  // format are trainer/core/checkpoint_file.h's); empty = no checkpoints.
  std::string checkpoint_dir;
  // Continue from the newest usable checkpoint in checkpoint_dir, if any.
  bool resume = false;
  // Set (by a SIGTERM handler) to ask the trial to stop at the next batch
  // boundary, write a checkpoint of the last completed epoch and throw
  // Interrupted. Null = never interrupted.
  const std::atomic<bool>* interrupt = nullptr;
  // Stop as if interrupted (checkpoint, exit 4) after this many epochs have
  // completed in this process; 0 = never. For tests of --resume and for
  // time-sliced runs (ltsweep-train --stop-after N).
  int stop_after_epochs = 0;

  bool Interrupted() const { return interrupt != nullptr && interrupt->load(std::memory_order_relaxed); }
};

}  // namespace ltsweep::trainer
