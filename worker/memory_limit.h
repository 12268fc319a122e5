// The optional memory limit of each trainer (`ltsweep worker --memory-limit
// 8G`): how the flag's value is read and written, and the note added to the
// error of a trainer that seems to have hit it.
//
// The limit is the trainer child's RLIMIT_AS (address space), set between
// fork and exec (worker/trainer_process.h, SpawnOptions::memory_limit_bytes).
// A trainer past it fails an allocation: LibTorch and the trainer's main turn
// std::bad_alloc into the crash exit ("ltsweep-train: crash: std::bad_alloc"),
// other code may die of SIGABRT, SIGSEGV or SIGKILL. The attempt is reported
// as a crash (retried like one) whose error starts with
// "memory limit 8G reached?" when the trainer's stderr names the failure.
// RLIMIT_AS counts reserved address space, not resident memory: CUDA
// trainers reserve far more than they touch, so leave it unset (0) on GPU
// workers unless measured.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace ltsweep::worker {

// "8G", "512M", "1.5G", "64K", "2T" (binary units, case-insensitive, an
// optional trailing "B" or "iB") or plain bytes; "0" means no limit.
// INVALID_ARGUMENT names the text for anything else, or a limit below 16M,
// which no trainer can start in.
StatusOr<uint64_t> ParseMemoryLimit(const std::string& text);

// The shortest of "8G", "512M", "64K" or bytes that says `bytes` exactly.
std::string FormatMemoryLimit(uint64_t bytes);

// "memory limit 8G reached? " when `limit_bytes` is set and the stderr tail
// names an allocation failure (std::bad_alloc, "Cannot allocate memory",
// "can't allocate memory", "out of memory"); "" otherwise. It goes in front
// of the crash's error, so the coordinator's truncated copy keeps it.
std::string MemoryLimitNote(uint64_t limit_bytes, const std::string& stderr_tail);

}  // namespace ltsweep::worker
