// Checkpoint files on disk: the frame around a checkpoint's payload (the
// torch archive bytes of trainer/checkpoint.h) and how the files are written,
// rotated and read back. No LibTorch here, so the header check fuzzes fast
// (tests/fuzz/checkpoint_fuzz.cc).
//
// A checkpoint file is a 32-byte header followed by the payload:
//
//   offset size  field (integers little-endian)
//        0    8  magic "LTSWCKPT"
//        8    4  format version (kCheckpointFormatVersion)
//       12    4  reserved, 0
//       16    8  payload length in bytes
//       24    4  CRC-32 (IEEE, as zlib's crc32) of the payload
//       28    4  CRC-32 of bytes 0..27 (the header itself)
//
// The file is exactly 32 + length bytes: a short file is torn, a longer one
// is refused too.
//
// Writing (WriteCheckpointFile): the bytes go to a temporary file named for
// this process (ckpt.tmp.<pid>.<n>), are fsynced, the current checkpoint.pt
// is renamed to checkpoint.prev.pt, the temporary file is renamed to
// checkpoint.pt and the folder is fsynced. The last two checkpoints are kept
// and at every instant at least one complete one exists (a crash between the
// renames leaves checkpoint.prev.pt alone, which readers try next).
//
// Errors: a write that fails because of this machine (disk full, quota,
// read-only file system, permission denied, I/O error) throws CannotRunHere
// naming the path (the trainer exits kExitCannotRunHere: another worker may
// run the trial); any other I/O failure throws std::runtime_error (a crash).
// Reading returns Status values: kNotFound for a missing file, kDataLoss
// naming the file and what is wrong for anything else.
//
// Thread-safety: free functions; not for concurrent use on the same folder
// (one trainer process owns a checkpoint folder).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ltsweep::trainer {

inline constexpr std::string_view kCheckpointMagic = "LTSWCKPT";
inline constexpr uint32_t kCheckpointFormatVersion = 1;
inline constexpr size_t kCheckpointHeaderSize = 32;

// Names inside a checkpoint folder: the newest checkpoint, the one before it,
// the prefix of temporary files, and the suffix an unusable file is renamed
// with (kept for inspection; never read again).
inline constexpr const char* kCheckpointFile = "checkpoint.pt";
inline constexpr const char* kPreviousCheckpointFile = "checkpoint.prev.pt";
inline constexpr const char* kCheckpointTmpFile = "ckpt.tmp";
inline constexpr const char* kCorruptCheckpointSuffix = ".corrupt";

// CRC-32 (IEEE 802.3, reflected, the value zlib's crc32() and Python's
// zlib.crc32() give), continuing from `crc` (0 to start).
uint32_t Crc32(std::string_view bytes, uint32_t crc = 0);

// Header + payload, ready to write.
std::string FrameCheckpoint(std::string_view payload);

// Checks the frame of a whole checkpoint file's bytes: magic, version, header
// checksum, length (against bytes.size()) and payload checksum, in that
// order. Returns the payload (a view into `bytes`) or kDataLoss whose message
// starts with `name` and says what is wrong. Never reads past `bytes`.
StatusOr<std::string_view> UnframeCheckpoint(std::string_view bytes, std::string_view name);

// Reads `path` and unframes it: the payload, kNotFound when the file does
// not exist, kDataLoss when it cannot be read or its frame is wrong.
StatusOr<std::string> ReadCheckpointFile(const std::string& path);

// The checkpoint files of `dir` that exist, newest first: dir/checkpoint.pt,
// dir/checkpoint.prev.pt.
std::vector<std::string> CheckpointCandidates(const std::string& dir);

// Frames `payload` and writes it to dir/checkpoint.pt as described above
// (creating dir), keeping the previous one as dir/checkpoint.prev.pt.
// Returns the path of the new checkpoint. Throws CannotRunHere or
// std::runtime_error (see above); a failed write removes its temporary file.
std::string WriteCheckpointFile(const std::string& dir, std::string_view payload);

// Creates `dir` when missing, removes the temporary files of earlier
// processes (RemoveStaleCheckpointTemps) and checks that a file can be
// created there, so a trial that could never save its state stops before it
// trains.
// Throws CannotRunHere (or std::runtime_error) as WriteCheckpointFile.
void CheckCheckpointDirWritable(const std::string& dir);

// Renames an unusable checkpoint to <path>.corrupt, so the next write does
// not rotate it over a good previous one. Best effort (failures ignored).
void SetAsideCorruptCheckpoint(const std::string& path);

// Removes the ckpt.tmp.* files of earlier processes (a resuming trainer owns
// the folder). Best effort.
void RemoveStaleCheckpointTemps(const std::string& dir);

// True for the errno values that mean "this machine cannot write here"
// (ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EIO), as opposed to a bug.
bool IsMachineIoError(int err);

}  // namespace ltsweep::trainer
