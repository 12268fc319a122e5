#include "trainer/core/checkpoint_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

namespace fs = std::filesystem;

constexpr size_t kVersionOffset = 8;
constexpr size_t kReservedOffset = 12;
constexpr size_t kLengthOffset = 16;
constexpr size_t kPayloadCrcOffset = 24;
constexpr size_t kHeaderCrcOffset = 28;

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

void PutLe(std::string& out, size_t offset, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[offset + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

uint64_t GetLe(std::string_view in, size_t offset, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(in[offset + static_cast<size_t>(i)])} << (8 * i);
  return v;
}

// Throws CannotRunHere for a machine-level errno, std::runtime_error else.
[[noreturn]] void ThrowIo(const std::string& what, const std::string& path, int err) {
  std::string message = fmt::format("checkpoint folder: {} {}: {}", what, path, std::strerror(err));
  if (IsMachineIoError(err)) throw CannotRunHere(message);
  throw std::runtime_error(message);
}

void CreateDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) ThrowIo("cannot create", dir, ec.value());
}

// Writes all of `bytes` to a new file `path` and fsyncs it; on failure the
// file is removed and the error thrown.
void WriteSynced(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) ThrowIo("cannot create", path, errno);
  size_t done = 0;
  int err = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(path.c_str());
    ThrowIo("cannot write", path, err);
  }
}

// fsync of a folder, so the renames in it survive a power loss.
void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string TempName(const std::string& dir) {
  static std::atomic<uint64_t> counter{0};
  return (fs::path(dir) / fmt::format("{}.{}.{}", kCheckpointTmpFile, static_cast<long>(::getpid()), counter++))
      .string();
}

}  // namespace

bool IsMachineIoError(int err) {
  return err == ENOSPC || err == EDQUOT || err == EROFS || err == EACCES || err == EPERM || err == EIO;
}

uint32_t Crc32(std::string_view bytes, uint32_t crc) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  crc = ~crc;
  for (char ch : bytes) crc = table[(crc ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string FrameCheckpoint(std::string_view payload) {
  std::string out(kCheckpointHeaderSize, '\0');
  out.replace(0, kCheckpointMagic.size(), kCheckpointMagic);
  PutLe(out, kVersionOffset, kCheckpointFormatVersion, 4);
  PutLe(out, kReservedOffset, 0, 4);
  PutLe(out, kLengthOffset, payload.size(), 8);
  PutLe(out, kPayloadCrcOffset, Crc32(payload), 4);
  PutLe(out, kHeaderCrcOffset, Crc32(std::string_view(out).substr(0, kHeaderCrcOffset)), 4);
  out.append(payload.data(), payload.size());
  return out;
}

StatusOr<std::string_view> UnframeCheckpoint(std::string_view bytes, std::string_view name) {
  if (bytes.size() < kCheckpointHeaderSize) {
    return DataLossError(fmt::format("{}: {} bytes, shorter than the {}-byte checkpoint header (torn write?)", name,
                                     bytes.size(), kCheckpointHeaderSize));
  }
  if (bytes.substr(0, kCheckpointMagic.size()) != kCheckpointMagic) {
    return DataLossError(fmt::format("{}: not an ltsweep checkpoint (bad magic)", name));
  }
  const uint64_t version = GetLe(bytes, kVersionOffset, 4);
  if (version != kCheckpointFormatVersion) {
    return DataLossError(fmt::format("{}: checkpoint format version {} (this trainer reads version {})", name,
                                     version, kCheckpointFormatVersion));
  }
  if (GetLe(bytes, kHeaderCrcOffset, 4) != Crc32(bytes.substr(0, kHeaderCrcOffset))) {
    return DataLossError(fmt::format("{}: checkpoint header checksum mismatch", name));
  }
  const uint64_t length = GetLe(bytes, kLengthOffset, 8);
  const uint64_t have = bytes.size() - kCheckpointHeaderSize;
  if (length != have) {
    return DataLossError(fmt::format("{}: payload of {} bytes, the header says {}{}", name, have, length,
                                     have < length ? " (truncated)" : " (trailing bytes)"));
  }
  std::string_view payload = bytes.substr(kCheckpointHeaderSize);
  if (GetLe(bytes, kPayloadCrcOffset, 4) != Crc32(payload)) {
    return DataLossError(fmt::format("{}: checkpoint payload checksum mismatch", name));
  }
  return payload;
}

StatusOr<std::string> ReadCheckpointFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFoundError(fmt::format("{}: no such file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return DataLossError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return DataLossError(fmt::format("{}: read error", path));
  const std::string all = bytes.str();
  StatusOr<std::string_view> payload = UnframeCheckpoint(all, path);
  if (!payload.ok()) return payload.status();
  return std::string(*payload);
}

std::vector<std::string> CheckpointCandidates(const std::string& dir) {
  std::vector<std::string> out;
  for (const char* name : {kCheckpointFile, kPreviousCheckpointFile}) {
    std::error_code ec;
    fs::path p = fs::path(dir) / name;
    if (fs::exists(p, ec)) out.push_back(p.string());
  }
  return out;
}

std::string WriteCheckpointFile(const std::string& dir, std::string_view payload) {
  CreateDir(dir);
  const std::string tmp = TempName(dir);
  const std::string newest = (fs::path(dir) / kCheckpointFile).string();
  const std::string previous = (fs::path(dir) / kPreviousCheckpointFile).string();
  WriteSynced(tmp, FrameCheckpoint(payload));
  std::error_code ec;
  if (fs::exists(newest, ec) && ::rename(newest.c_str(), previous.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    ThrowIo("cannot rename to", previous, err);
  }
  if (::rename(tmp.c_str(), newest.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    ThrowIo("cannot rename to", newest, err);
  }
  SyncDir(dir);
  return newest;
}

void CheckCheckpointDirWritable(const std::string& dir) {
  CreateDir(dir);
  RemoveStaleCheckpointTemps(dir);
  const std::string probe = TempName(dir);
  WriteSynced(probe, "");
  ::unlink(probe.c_str());
}

void SetAsideCorruptCheckpoint(const std::string& path) {
  const std::string aside = path + kCorruptCheckpointSuffix;
  ::rename(path.c_str(), aside.c_str());
}

void RemoveStaleCheckpointTemps(const std::string& dir) {
  std::error_code ec;
  const std::string prefix = std::string(kCheckpointTmpFile) + ".";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) == 0) fs::remove(it->path(), ec);
  }
}

}  // namespace ltsweep::trainer
