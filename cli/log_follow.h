// Printing a trial's log for `ltsweep logs` (cli/cmd_logs.cc), whatever it
// is read from (the coordinator's GetTrialLogs or a results database file):
// once, everything kept so far; or following a running attempt, printing
// only the new bytes, until the attempt ends.
//
// The log of one attempt is read in pieces by byte offset (store/
// trial_log_types.h TrialLog): each answer says where the next read starts,
// how many bytes before it are gone (only the last 1 MiB of an attempt is
// kept) and whether the attempt has ended. Following polls with a backoff
// (FollowOptions) that starts again after every answer with new text.
//
// Ownership: borrows the streams and functions it is given. Thread-safety:
// not thread-safe; one call at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>

#include "common/status.h"
#include "store/trial_log_types.h"

namespace ltsweep::cli {

// Reads attempt `attempt` (nullopt: the latest) of the trial from `from_offset` on.
using LogReadFn = std::function<StatusOr<TrialLog>(std::optional<int> attempt, int64_t from_offset)>;

struct FollowOptions {
  bool follow = false;  // -f: poll until the attempt ends
  std::optional<int> attempt;  // --attempt N; nullopt: the latest
  // Polling while nothing new comes: first wait, then each wait times
  // backoff_factor, at most max_poll.
  std::chrono::milliseconds first_poll{200};
  double backoff_factor = 1.5;
  std::chrono::milliseconds max_poll{2000};
  // While following, errors of this kind (the coordinator restarting) are
  // waited out at max_poll, with one note on `err`.
  std::function<bool(const Status&)> transient;
  // Sleeps between polls (tests pass a fake).
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Prints the log's text on `out` and a note on `err` wherever bytes were
// dropped, and (following a trial not started yet) a note that it waits.
// Returns OK when everything was printed (following: once the attempt has
// ended and its last bytes are out), or the first error that is not waited
// out.
Status PrintTrialLog(const LogReadFn& read, const FollowOptions& options, std::ostream& out, std::ostream& err);

// "1 byte", "2.5 KiB", "3.0 MiB".
std::string FormatBytes(int64_t bytes);

}  // namespace ltsweep::cli
