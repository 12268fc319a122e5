#include "trainer/text/text_dataset.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "common/config_hash.h"
#include "common/config_schema.h"
#include "trainer/text/imbalance.h"
#include "trainer/text/imdb_reader.h"
#include "trainer/text/tokenizer.h"

namespace ltsweep::trainer::text {
namespace {

namespace fs = std::filesystem;

// Bump when preprocessing or the file layout changes.
constexpr int kFormatVersion = 1;
constexpr char kMagic[8] = {'L', 'T', 'S', 'W', 'T', 'X', 'T', '1'};

std::vector<std::vector<std::string>> PreprocessAll(const std::vector<Review>& reviews, int threads,
                                                    StopWordList stop_words) {
  std::vector<std::vector<std::string>> out(reviews.size());
  int n_threads = std::max(1, std::min<int>(threads, 16));
  auto work = [&](int t) {
    for (size_t i = static_cast<size_t>(t); i < reviews.size(); i += static_cast<size_t>(n_threads))
      out[i] = PreprocessReview(reviews[i].text, stop_words);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  return out;
}

// --- binary cache file -------------------------------------------------------

class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) {}
  void Bytes(const void* p, size_t n) { ok_ = ok_ && std::fwrite(p, 1, n, f_) == n; }
  void U64(uint64_t v) { Bytes(&v, sizeof v); }
  bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  bool ok_ = true;
};

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), end_(p + n) {}
  bool Bytes(void* dst, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    std::memcpy(dst, p_, n);
    p_ += n;
    return true;
  }
  bool U64(uint64_t& v) { return Bytes(&v, sizeof v); }
  bool AtEnd() const { return p_ == end_; }

 private:
  const char* p_;
  const char* end_;
};

void WriteSplit(Writer& w, const TextSplit& s) {
  w.U64(static_cast<uint64_t>(s.size()));
  for (int l : s.labels) {
    int8_t b = static_cast<int8_t>(l);
    w.Bytes(&b, 1);
  }
  for (const auto& d : s.docs) {
    w.U64(d.size());
    w.Bytes(d.data(), d.size() * sizeof(int32_t));
  }
}

bool ReadSplit(Reader& r, TextSplit& s, int64_t vocab_size) {
  uint64_t n = 0;
  if (!r.U64(n) || n > (1u << 26)) return false;
  s.labels.resize(n);
  s.docs.resize(n);
  for (auto& l : s.labels) {
    int8_t b = 0;
    if (!r.Bytes(&b, 1) || (b != 0 && b != 1)) return false;
    l = b;
  }
  for (auto& d : s.docs) {
    uint64_t len = 0;
    if (!r.U64(len) || len > (1u << 24)) return false;
    d.resize(len);
    if (!r.Bytes(d.data(), len * sizeof(int32_t))) return false;
    for (int32_t v : d) {
      if (v < 0 || v >= vocab_size) return false;
    }
  }
  return true;
}

Status WriteCache(const std::string& path, const std::string& key, const TextData& data) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return UnavailableError(fmt::format("{}: cannot create cache folder ({})", path, ec.message()));
  std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(::getpid()));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return UnavailableError(fmt::format("{}: cannot write cache", tmp));
  Writer w(f);
  w.Bytes(kMagic, sizeof kMagic);
  w.Bytes(key.data(), key.size());
  w.U64(static_cast<uint64_t>(data.vocab.size()));
  for (const auto& t : data.vocab.tokens()) {
    w.U64(t.size());
    w.Bytes(t.data(), t.size());
  }
  WriteSplit(w, data.train);
  WriteSplit(w, data.dev);
  WriteSplit(w, data.test);
  bool ok = w.ok();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return UnavailableError(fmt::format("{}: cannot write cache", path));
  }
  return Status::Ok();
}

// Reads the cache; false when absent or not usable.
bool ReadCache(const std::string& path, const std::string& key, TextData& data) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Reader r(bytes.data(), bytes.size());
  char magic[sizeof kMagic];
  std::string file_key(key.size(), '\0');
  if (!r.Bytes(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0) return false;
  if (!r.Bytes(file_key.data(), file_key.size()) || file_key != key) return false;
  uint64_t v = 0;
  if (!r.U64(v) || v > (1u << 24)) return false;
  std::vector<std::string> tokens(v);
  for (auto& t : tokens) {
    uint64_t len = 0;
    if (!r.U64(len) || len > 4096) return false;
    t.resize(len);
    if (!r.Bytes(t.data(), len)) return false;
  }
  int64_t vocab_size = static_cast<int64_t>(tokens.size());
  if (!ReadSplit(r, data.train, vocab_size) || !ReadSplit(r, data.dev, vocab_size) ||
      !ReadSplit(r, data.test, vocab_size) || !r.AtEnd())
    return false;
  data.vocab = Vocabulary(std::move(tokens));
  return true;
}

nlohmann::json FileIdentity(const std::string& path) {
  struct stat st {};
  nlohmann::json j;
  std::error_code ec;
  j["path"] = fs::absolute(path, ec).lexically_normal().string();
  if (::stat(path.c_str(), &st) == 0) {
    j["size"] = static_cast<int64_t>(st.st_size);
    j["mtime_ns"] = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  }
  return j;
}

}  // namespace

std::array<int64_t, 2> TextSplit::ClassCounts() const {
  std::array<int64_t, 2> c{0, 0};
  for (int l : labels) ++c[static_cast<size_t>(l)];
  return c;
}

TextSplit TextSplit::Subset(const std::vector<int64_t>& indices) const {
  TextSplit out;
  out.labels.reserve(indices.size());
  out.docs.reserve(indices.size());
  for (int64_t i : indices) {
    out.labels.push_back(labels[static_cast<size_t>(i)]);
    out.docs.push_back(docs[static_cast<size_t>(i)]);
  }
  return out;
}

StatusOr<TextDataOptions> TextDataOptions::FromConfig(const nlohmann::json& config) {
  TextDataOptions o;
  try {
    const auto& data = config.at("data");
    o.root = data.at("root").get<std::string>();
    o.cache_dir = data.at("cache_dir").get<std::string>();
    o.keep_fraction = data.at("imbalance").at("keep_fraction").get<double>();
    o.val_split = data.at("val_split").get<double>();
    o.max_features = data.at("max_features").get<int64_t>();
    o.seed = data.at("imbalance").at("seed").get<uint32_t>();
    std::string list = data.at("stop_words").get<std::string>();
    auto parsed = ParseStopWordList(list);
    if (!parsed) return InvalidArgumentError(fmt::format("data.stop_words: unknown list '{}'", list));
    o.stop_words = *parsed;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("data: missing or mistyped key in the resolved config ({})", e.what()));
  }
  if (o.root.empty()) return InvalidArgumentError("data.root: required for data.dataset imdb");
  return o;
}

std::string TextCacheDir(const TextDataOptions& options) {
  fs::path base;
  if (!options.cache_dir.empty()) {
    base = options.cache_dir;
  } else if (const char* env = std::getenv("LTSWEEP_CACHE_DIR"); env != nullptr && *env != '\0') {
    base = env;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    base = fs::path(home) / ".cache" / "ltsweep";
  } else {
    base = fs::temp_directory_path() / "ltsweep-cache";
  }
  return (base / "imdb").string();
}

StatusOr<std::string> TextCacheKey(const TextDataOptions& options) {
  nlohmann::json key;
  key["format"] = kFormatVersion;
  nlohmann::json files = nlohmann::json::array();
  for (const char* split : {"train", "test"}) {
    LTSWEEP_ASSIGN_OR_RETURN(auto list, ImdbSplitFiles(options.root, split));
    for (const auto& f : list) files.push_back(FileIdentity(f));
  }
  key["files"] = std::move(files);
  key["keep_fraction"] = options.keep_fraction;
  key["val_split"] = options.val_split;
  key["max_features"] = options.max_features;
  key["seed"] = options.seed;
  if (options.stop_words != StopWordList::kSklearn) key["stop_words"] = StopWordListName(options.stop_words);
  return Sha256Hex(CanonicalJson(key));
}

StatusOr<TextData> PrepareTextData(const TextDataOptions& options) {
  TextData data;
  LTSWEEP_ASSIGN_OR_RETURN(data.cache_key, TextCacheKey(options));
  if (options.use_cache) {
    data.cache_file = (fs::path(TextCacheDir(options)) / (data.cache_key + ".bin")).string();
    TextData cached;
    if (ReadCache(data.cache_file, data.cache_key, cached)) {
      cached.cache_key = data.cache_key;
      cached.cache_file = data.cache_file;
      cached.from_cache = true;
      return cached;
    }
  }
  LTSWEEP_ASSIGN_OR_RETURN(auto train_reviews, ReadImdbSplit(options.root, "train"));
  LTSWEEP_ASSIGN_OR_RETURN(auto test_reviews, ReadImdbSplit(options.root, "test"));
  if (train_reviews.empty() || test_reviews.empty())
    return DataLossError(fmt::format("data.root {}: the train or test split has no reviews", options.root));

  auto train_tokens = PreprocessAll(train_reviews, options.threads, options.stop_words);
  auto test_tokens = PreprocessAll(test_reviews, options.threads, options.stop_words);

  std::vector<int> train_labels;
  for (const auto& r : train_reviews) train_labels.push_back(r.label);
  std::vector<int64_t> kept = ImbalanceIndices(train_labels, options.keep_fraction, options.seed);
  std::vector<int> kept_labels;
  for (int64_t i : kept) kept_labels.push_back(train_labels[static_cast<size_t>(i)]);
  SplitIndices split = DevSplit(kept_labels, options.val_split, options.seed);

  std::vector<std::vector<std::string>> fit_docs;
  fit_docs.reserve(split.train.size());
  for (int64_t i : split.train) fit_docs.push_back(train_tokens[static_cast<size_t>(kept[static_cast<size_t>(i)])]);
  data.vocab = Vocabulary::Build(fit_docs, options.max_features);

  auto fill = [&](const std::vector<int64_t>& idx, TextSplit& s) {
    for (int64_t i : idx) {
      size_t k = static_cast<size_t>(kept[static_cast<size_t>(i)]);
      s.labels.push_back(train_labels[k]);
      s.docs.push_back(data.vocab.Ranks(train_tokens[k]));
    }
  };
  fill(split.train, data.train);
  fill(split.dev, data.dev);
  for (size_t i = 0; i < test_reviews.size(); ++i) {
    data.test.labels.push_back(test_reviews[i].label);
    data.test.docs.push_back(data.vocab.Ranks(test_tokens[i]));
  }
  if (options.use_cache) {
    Status st = WriteCache(data.cache_file, data.cache_key, data);
    if (!st.ok()) std::fprintf(stderr, "warning: %s (continuing without a cache)\n", st.ToString().c_str());
  }
  return data;
}

}  // namespace ltsweep::trainer::text
