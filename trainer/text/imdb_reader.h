// Readers for the IMDB Large Movie Review data set (Maas et al., 2011) in its
// two on-disk forms:
//   * the aclImdb layout: <root>/<split>/{pos,neg}/<id>_<rating>.txt, one
//     review per file (the "unsup" folder is ignored);
//   * the compact form of ../shared/data/imdb/: <root>/imdb_<split>.tsv.gz
//     (or .tsv), header "label<TAB>id<TAB>rating<TAB>text", where the text
//     escapes backslash, TAB, LF and CR as \\, \t, \n and \r.
// Both yield the reviews in the same order: pos first, then neg, each by
// numeric id (the TSV's own order).
//
// Errors are DataError-style Status values (kDataLoss / kNotFound / ...)
// naming the file and line at fault. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ltsweep::trainer::text {

inline constexpr int kNegative = 0;  // class 0: negative review
inline constexpr int kPositive = 1;  // class 1: positive review

struct Review {
  int label = kNegative;  // kNegative or kPositive
  int64_t id = 0;         // from the file name <id>_<rating>.txt
  int rating = 0;         // 1-4 (neg) or 7-10 (pos)
  std::string text;       // raw review, HTML <br /> left in place
};

// Undoes the TSV escaping (\\ \t \n \r). Any other backslash sequence, or a
// trailing lone backslash, is an error naming `where`.
StatusOr<std::string> UnescapeTsvText(std::string_view field, std::string_view where = "");

// The most a TSV file may hold once decompressed: 512 MiB (the IMDB training
// split is about 33 MB).
inline constexpr uint64_t kMaxImdbTsvBytes = uint64_t{512} << 20;

// Reads imdb_<split>.tsv.gz or imdb_<split>.tsv (gzip is detected by zlib, so
// either works under either name). Decompresses at most max_bytes: a file
// that expands further is kDataLoss naming it, refused before that memory is
// taken. A file that cannot be opened is kNotFound.
StatusOr<std::vector<Review>> ReadImdbTsv(const std::string& path, uint64_t max_bytes = kMaxImdbTsvBytes);

// Reads <root>/<split>/{pos,neg}/*.txt.
StatusOr<std::vector<Review>> ReadAclImdbSplit(const std::string& root, const std::string& split);

// The form present under `root`: the aclImdb layout when <root>/<split>/pos
// exists, else imdb_<split>.tsv.gz, else imdb_<split>.tsv. `split` is "train"
// or "test".
StatusOr<std::vector<Review>> ReadImdbSplit(const std::string& root, const std::string& split);

// The files ReadImdbSplit(root, split) reads, sorted (for cache keys).
StatusOr<std::vector<std::string>> ImdbSplitFiles(const std::string& root, const std::string& split);

}  // namespace ltsweep::trainer::text
