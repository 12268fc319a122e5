// Whole-file reads of data files that may be compressed: plain, .xz (liblzma
// streaming decoder) or .gz (zlib gzread), bounded by the size the caller's
// format expects: content longer than max_bytes is refused (DataError naming
// the file) once max_bytes + 1 bytes are out, so a small file that expands to
// gigabytes (a decompression bomb) never gets that memory.
//
// Errors: a file that is missing or unreadable on this node throws
// CannotRunHere (another node may have it); a file that is there but wrong
// (too long, xz/gzip stream error, truncated stream) throws DataError. Both
// name the file.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ltsweep::trainer {

// Reads `path`, decompressing when the name ends in .xz or .gz; at most
// max_bytes (decompressed) or DataError ("wrong size: more than ...").
std::vector<uint8_t> ReadDataFile(const std::string& path, uint64_t max_bytes);

// The first `bytes` bytes of `path` (decompressed), or all of it when it is
// shorter: for reading a header that says how long the rest is.
std::vector<uint8_t> ReadDataFileHead(const std::string& path, uint64_t bytes);

// Finds `name` in `dir` as `name`, `name.xz` or `name.gz` (first that exists).
// Throws CannotRunHere listing the tried paths when none exists.
std::string FindDataFile(const std::string& dir, const std::string& name);

// Like ReadDataFile(FindDataFile(dir, name)), but an .xz file is decompressed
// once into `cache_dir` (created when missing) as `<cache key>/<name>` and read
// from there afterwards; the cache entry is keyed by the compressed file's
// size and mtime and written atomically (temp file + rename). An empty
// cache_dir, or a cache that cannot be written, reads the compressed file
// directly. At most max_bytes, as ReadDataFile. *path_read (optional)
// receives the file actually read.
std::vector<uint8_t> ReadDataFileCached(const std::string& dir, const std::string& name, const std::string& cache_dir,
                                        uint64_t max_bytes, std::string* path_read = nullptr);

}  // namespace ltsweep::trainer
