// The prepared IMDB data of one trial: preprocessed, imbalanced, split, with
// its vocabulary, cached on disk so that a sweep over batch sizes or models
// tokenises the 50,000 reviews once.
//
// Pipeline (PrepareTextData):
//   1. read train and test reviews (imdb_reader.h);
//   2. PreprocessReview() every review (tokenizer.h), on `threads` threads;
//   3. keep round(keep_fraction * n_neg) negative training reviews
//      (ImbalanceIndices, seed = data.imbalance.seed);
//   4. stratified dev split of the imbalanced training set (DevSplit,
//      val_split, same seed); the test set stays whole and balanced;
//   5. vocabulary of the max_features most frequent tokens of the training
//      part only (not dev, not test);
//   6. every document stored as the ranks of its in-vocabulary tokens, full
//      length (truncation to data.max_len happens when batches are built, so
//      max_len is not part of the cache key).
//
// Cache: <cache_dir>/imdb/<key>.bin, key = SHA-256 of a canonical JSON of
// {format version, the identity of every input file (absolute path, size,
// modification time in ns), keep_fraction, val_split, max_features, seed,
// and stop_words when it is not the default "sklearn"} (so the files cached
// before data.stop_words existed keep their keys).
// Any change of these gives a new key (a new file); a file that fails to read
// back (wrong magic, key or size) is rebuilt. Files are written to a temporary
// name and renamed, so concurrent trials never read a half-written cache.
//
// Thread-safety: PrepareTextData may run concurrently in several processes;
// the returned data is a plain value.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config_schema.h"
#include "common/status.h"
#include "trainer/text/stop_words.h"
#include "trainer/text/vocabulary.h"

namespace ltsweep::trainer::text {

struct TextDataOptions {
  std::string root;              // data.root: aclImdb folder or folder with imdb_{train,test}.tsv[.gz]
  std::string cache_dir;         // data.cache_dir; empty: $LTSWEEP_CACHE_DIR, else ~/.cache/ltsweep
  double keep_fraction = SchemaDefault<double>("data.imbalance.keep_fraction");
  double val_split = SchemaDefault<double>("data.val_split");
  int64_t max_features = SchemaDefault<int64_t>("data.max_features");
  uint32_t seed = SchemaDefault<uint32_t>("data.imbalance.seed");
  StopWordList stop_words = StopWordList::kSklearn;  // data.stop_words
  int threads = 1;               // preprocessing threads (not part of the key)
  bool use_cache = true;         // false: never read or write the cache

  // From a resolved trial config; an error names the key at fault.
  static StatusOr<TextDataOptions> FromConfig(const nlohmann::json& config);
};

// One split: labels (0 neg, 1 pos) and documents as vocabulary ranks.
struct TextSplit {
  std::vector<int> labels;
  std::vector<std::vector<int32_t>> docs;

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  std::array<int64_t, 2> ClassCounts() const;
  // The items at `indices`, in that order.
  TextSplit Subset(const std::vector<int64_t>& indices) const;
};

struct TextData {
  Vocabulary vocab;
  TextSplit train;  // imbalanced, (1 - val_split) of it
  TextSplit dev;    // imbalanced, val_split of it
  TextSplit test;   // balanced, whole
  std::string cache_key;
  std::string cache_file;   // empty when the cache is off
  bool from_cache = false;  // true when read back from cache_file
};

StatusOr<TextData> PrepareTextData(const TextDataOptions& options);

// The cache key of `options` (reads only file metadata).
StatusOr<std::string> TextCacheKey(const TextDataOptions& options);

// The folder the cache lives in for `options` (resolving the defaults).
std::string TextCacheDir(const TextDataOptions& options);

}  // namespace ltsweep::trainer::text
