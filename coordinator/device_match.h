// Device matching on the coordinator's side (issue 14, "scheduling that
// knows devices"): what a worker's Register says about its slots, and why a
// sweep's queued trials may be waiting for a kind of slot nobody has.
//
// The lease itself is matched in the store (Store::LeaseNextTrial's
// slot_gpus: a sweep's trials go only to slots holding exactly
// resources.gpus GPUs, 0 meaning a CPU slot); this module turns the wire
// form into the store's and words the "waiting: ..." line of `ltsweep
// status`.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "proto/client_service.pb.h"
#include "proto/worker_service.pb.h"
#include "store/store.h"

namespace ltsweep::coordinator {

// The GPU count of each slot of a registering worker: from slot_devices
// when given (then `slots` must equal their number), else `slots` slots
// holding one GPU each when gpus is given (an older worker), else CPU
// slots. INVALID_ARGUMENT naming the field for a slot with more than
// kMaxGpusPerTrial GPUs, a negative GPU index or a slot count mismatch.
StatusOr<std::vector<int>> SlotGpuCounts(const v1::RegisterRequest& request);

// Why a sweep whose trials need `gpus` GPUs each cannot be served by the
// alive workers `kinds`, e.g. "no worker has a slot with 2 GPUs", "no worker
// has a CPU slot", "no worker is alive"; "" when some alive worker has a
// slot of that kind.
std::string WaitingReason(int gpus, const SlotKinds& kinds);

// Fills `sweep`'s waiting field when it still has queued trials that no
// alive worker (`kinds`, Store::AliveSlotKinds) can run; leaves it empty
// otherwise. The line is advice, not state: nothing is stored.
void AnnotateWaiting(const SlotKinds& kinds, v1::SweepInfo* sweep);

}  // namespace ltsweep::coordinator
