// Loading TrialRecords from the SQLite results database (the store's schema,
// docs/results-db.md), read-only, for the `--db PATH` variants of
// `ltsweep results / best / trial / curves / report`.
//
// Metrics of a trial are merged over its attempts, a later attempt's value
// replacing an earlier one at the same (epoch, name): a resumed attempt
// starts after the last checkpointed epoch, so the merged series is the
// whole training run. A linked trial (identical config that already
// succeeded elsewhere) reads the metrics of the trial it reuses. Per-class
// rows named X become TrialRecord::per_class["per_class_X"]; payloads "start"
// and "done" fill class_counts / class_names / done; the latest "confusion"
// payload fills confusion.
//
// Thread-safety: as ReadOnlyDb (one thread per connection).
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "report/readonly_db.h"
#include "report/trial_record.h"

namespace ltsweep::report {

// The sweep (name, state, metric, goal) and all its trials by ordinal.
// NOT_FOUND for an unknown sweep id.
StatusOr<SweepRecord> LoadSweep(ReadOnlyDb& db, int64_t sweep_id);

// One trial. NOT_FOUND for an unknown trial id.
StatusOr<TrialRecord> LoadTrial(ReadOnlyDb& db, int64_t trial_id);

// The id of the newest sweep; NOT_FOUND when the database has none.
StatusOr<int64_t> LatestSweepId(ReadOnlyDb& db);

}  // namespace ltsweep::report
