// Whole-file reads of data files that may be compressed: plain, .xz (liblzma
// streaming decoder) or .gz (zlib gzread). Errors throw DataError naming the
// file and what is wrong (missing, unreadable, xz/gzip stream error,
// truncated stream).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ltsweep::trainer {

// Reads `path`; decompresses when the name ends in .xz or .gz.
std::vector<uint8_t> ReadDataFile(const std::string& path);

// Finds `name` in `dir` as `name`, `name.xz` or `name.gz` (first that exists).
// Throws DataError listing the tried paths when none exists.
std::string FindDataFile(const std::string& dir, const std::string& name);

// Like ReadDataFile(FindDataFile(dir, name)), but an .xz file is decompressed
// once into `cache_dir` (created when missing) as `<cache key>/<name>` and read
// from there afterwards; the cache entry is keyed by the compressed file's
// size and mtime and written atomically (temp file + rename). An empty
// cache_dir, or a cache that cannot be written, reads the compressed file
// directly. *path_read (optional) receives the file actually read.
std::vector<uint8_t> ReadDataFileCached(const std::string& dir, const std::string& name, const std::string& cache_dir,
                                        std::string* path_read = nullptr);

}  // namespace ltsweep::trainer
