#include "trainer/image/data_file.h"

#include <unistd.h>
#include <sys/stat.h>

#ifdef LTSWEEP_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef LTSWEEP_HAVE_ZLIB
#include <zlib.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

namespace fs = std::filesystem;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// A file that is not there, or not readable, on this node: another node may
// have it (CannotRunHere). Anything else wrong with it is DataError.
[[noreturn]] void ThrowOpenError(const std::string& path, int err) {
  std::string message = fmt::format("{}: cannot open: {}", path, std::strerror(err));
  if (err == ENOENT || err == ENOTDIR || err == EACCES || err == EPERM) throw CannotRunHere(message);
  throw DataError(message);
}

File OpenOrThrow(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) ThrowOpenError(path, errno);
  return f;
}

// How a read ends when the content goes on past max_bytes.
enum class PastLimit { kRefuse, kStop };

[[noreturn]] void ThrowTooLong(const std::string& path, uint64_t max_bytes) {
  throw DataError(fmt::format("{}: wrong size: more than {} bytes, the most this file may hold; refused "
                              "before reading further (a decompression bomb?)",
                              path, max_bytes));
}

std::vector<uint8_t> ReadPlain(const std::string& path, uint64_t max_bytes, PastLimit past) {
  File f = OpenOrThrow(path);
  struct stat st;
  if (past == PastLimit::kRefuse && ::fstat(::fileno(f.get()), &st) == 0 &&
      static_cast<uint64_t>(st.st_size) > max_bytes) {
    ThrowTooLong(path, max_bytes);
  }
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  size_t got;
  while (out.size() <= max_bytes && (got = std::fread(buf, 1, sizeof(buf), f.get())) > 0) {
    out.insert(out.end(), buf, buf + got);
  }
  if (std::ferror(f.get())) throw DataError(fmt::format("{}: read error", path));
  if (out.size() > max_bytes) {
    if (past == PastLimit::kRefuse) ThrowTooLong(path, max_bytes);
    out.resize(max_bytes);
  }
  return out;
}

// A trainer-only build without zlib or liblzma (docs/gpu.md) cannot read
// that format here; another node's build may.
[[noreturn, maybe_unused]] void ThrowNotBuiltWith(const std::string& path, const char* library) {
  throw CannotRunHere(fmt::format("{}: this ltsweep-train was built without {} (a trainer-only build that did not "
                                  "find its headers), so it cannot read this file; decompress it next to the "
                                  "compressed one, or rebuild with {}",
                                  path, library, library));
}

#ifdef LTSWEEP_HAVE_LZMA
const char* LzmaMessage(lzma_ret ret) {
  switch (ret) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_FORMAT_ERROR: return "not an xz stream (bad magic)";
    case LZMA_OPTIONS_ERROR: return "unsupported xz options";
    case LZMA_DATA_ERROR: return "corrupt xz data";
    case LZMA_BUF_ERROR: return "xz stream truncated (unexpected end of file)";
    default: return "xz decoder error";
  }
}

// Decompresses at most max_bytes (+1 to tell a longer stream): the output
// buffer never grows past that, whatever the stream claims.
std::vector<uint8_t> ReadXz(const std::string& path, uint64_t max_bytes, PastLimit past) {
  File f = OpenOrThrow(path);
  lzma_stream strm = LZMA_STREAM_INIT;
  lzma_ret ret = lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED);
  if (ret != LZMA_OK) throw DataError(fmt::format("{}: cannot start the xz decoder: {}", path, LzmaMessage(ret)));
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&strm, lzma_end);
  const uint64_t cap = max_bytes + 1;
  std::vector<uint8_t> out(static_cast<size_t>(std::min<uint64_t>(1 << 20, cap)));
  std::vector<uint8_t> in(1 << 16);
  lzma_action action = LZMA_RUN;
  strm.next_out = out.data();
  strm.avail_out = out.size();
  for (;;) {
    if (strm.avail_in == 0 && action == LZMA_RUN) {
      size_t got = std::fread(in.data(), 1, in.size(), f.get());
      if (std::ferror(f.get())) throw DataError(fmt::format("{}: read error", path));
      strm.next_in = in.data();
      strm.avail_in = got;
      if (got == 0) action = LZMA_FINISH;
    }
    ret = lzma_code(&strm, action);
    const size_t produced = out.size() - strm.avail_out;
    if (produced > max_bytes) {
      if (past == PastLimit::kRefuse) ThrowTooLong(path, max_bytes);
      out.resize(static_cast<size_t>(max_bytes));
      return out;
    }
    if (ret == LZMA_STREAM_END) {
      out.resize(produced);
      return out;
    }
    if (ret != LZMA_OK) {
      throw DataError(fmt::format("{}: {} after {} decompressed bytes", path, LzmaMessage(ret), produced));
    }
    if (strm.avail_out == 0) {
      out.resize(static_cast<size_t>(std::min<uint64_t>(out.size() * 2, cap)));
      strm.next_out = out.data() + produced;
      strm.avail_out = out.size() - produced;
    }
  }
}
#else
std::vector<uint8_t> ReadXz(const std::string& path, uint64_t, PastLimit) { ThrowNotBuiltWith(path, "liblzma"); }
#endif

#ifdef LTSWEEP_HAVE_ZLIB
std::vector<uint8_t> ReadGz(const std::string& path, uint64_t max_bytes, PastLimit past) {
  errno = 0;
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) ThrowOpenError(path, errno);
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(gz, gzclose);
  gzbuffer(gz, 1 << 17);
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(1 << 17);
  for (;;) {
    int got = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(gz, &code);
      throw DataError(fmt::format("{}: gzip stream error: {}", path, msg ? msg : "unknown"));
    }
    if (got == 0) break;
    if (out.size() + static_cast<size_t>(got) > max_bytes) {
      if (past == PastLimit::kRefuse) ThrowTooLong(path, max_bytes);
      out.insert(out.end(), buf.begin(), buf.begin() + static_cast<int64_t>(max_bytes - out.size()));
      return out;
    }
    out.insert(out.end(), buf.begin(), buf.begin() + got);
  }
  int code = 0;
  const char* msg = gzerror(gz, &code);
  if (code != Z_OK && code != Z_STREAM_END) {
    throw DataError(fmt::format("{}: gzip stream error: {}", path, msg ? msg : "unknown"));
  }
  return out;
}
#else
std::vector<uint8_t> ReadGz(const std::string& path, uint64_t, PastLimit) { ThrowNotBuiltWith(path, "zlib"); }
#endif

std::vector<uint8_t> Read(const std::string& path, uint64_t max_bytes, PastLimit past) {
  if (EndsWith(path, ".xz")) return ReadXz(path, max_bytes, past);
  if (EndsWith(path, ".gz")) return ReadGz(path, max_bytes, past);
  return ReadPlain(path, max_bytes, past);
}

}  // namespace

std::vector<uint8_t> ReadDataFile(const std::string& path, uint64_t max_bytes) {
  return Read(path, max_bytes, PastLimit::kRefuse);
}

std::vector<uint8_t> ReadDataFileHead(const std::string& path, uint64_t bytes) {
  return Read(path, bytes, PastLimit::kStop);
}

std::string FindDataFile(const std::string& dir, const std::string& name) {
  std::string tried;
  for (const char* ext : {"", ".xz", ".gz"}) {
    fs::path p = fs::path(dir) / (name + ext);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
    tried += (tried.empty() ? "" : ", ") + p.string();
  }
  throw CannotRunHere(fmt::format("{}: data file not found on this node (tried {})", (fs::path(dir) / name).string(),
                                 tried));
}

std::vector<uint8_t> ReadDataFileCached(const std::string& dir, const std::string& name, const std::string& cache_dir,
                                        uint64_t max_bytes, std::string* path_read) {
  std::string path = FindDataFile(dir, name);
  if (path_read) *path_read = path;
  if (cache_dir.empty() || !EndsWith(path, ".xz")) return ReadDataFile(path, max_bytes);
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  auto mtime = fs::last_write_time(path, ec);
  if (ec) return ReadDataFile(path, max_bytes);
  auto stamp = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  fs::path cached = fs::path(cache_dir) / "decompressed" / fmt::format("{}.{}.{}", name, size, stamp);
  if (fs::is_regular_file(cached, ec)) {
    try {
      if (path_read) *path_read = cached.string();
      return ReadDataFile(cached.string(), max_bytes);
    } catch (const std::runtime_error&) {
      if (path_read) *path_read = path;  // unreadable cache entry: fall back to the original
    }
  }
  std::vector<uint8_t> bytes = ReadDataFile(path, max_bytes);
  fs::create_directories(cached.parent_path(), ec);
  if (!ec) {
    fs::path tmp = cached;
    tmp += fmt::format(".tmp{}.{}", static_cast<long>(::getpid()),
                      std::hash<std::thread::id>{}(std::this_thread::get_id()));
    File out(std::fopen(tmp.c_str(), "wb"));
    bool ok = out && std::fwrite(bytes.data(), 1, bytes.size(), out.get()) == bytes.size();
    ok = ok && std::fflush(out.get()) == 0;
    out.reset();
    if (ok) fs::rename(tmp, cached, ec);
    if (!ok || ec) fs::remove(tmp, ec);
  }
  return bytes;
}

}  // namespace ltsweep::trainer
