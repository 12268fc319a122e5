#include "trainer/text/imdb_reader.h"

#ifdef LTSWEEP_HAVE_ZLIB
#include <zlib.h>
#endif

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ltsweep::trainer::text {
namespace {

namespace fs = std::filesystem;

#ifndef LTSWEEP_HAVE_ZLIB
// A trainer-only build without zlib (docs/gpu.md): plain files only.
StatusOr<std::string> ReadMaybeGzip(const std::string& path, uint64_t max_bytes) {
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    return NotFoundError(fmt::format("{}: this ltsweep-train was built without zlib, so it cannot read .gz files; "
                                     "decompress it next to the compressed one, or rebuild with zlib",
                                     path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("{}: cannot open", path));
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (out.size() > max_bytes) {
    return DataLossError(fmt::format("{}: more than {} bytes, the most an IMDB TSV may hold", path, max_bytes));
  }
  return out;
}
#else
// Reads a whole (optionally gzip-compressed) file of at most max_bytes.
StatusOr<std::string> ReadMaybeGzip(const std::string& path, uint64_t max_bytes) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return NotFoundError(fmt::format("{}: cannot open", path));
  gzbuffer(f, 1 << 18);
  std::string out;
  std::vector<char> buf(1 << 18);
  while (true) {
    int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      return DataLossError(fmt::format("{}: corrupt or truncated gzip data ({})", path, msg));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      gzclose(f);
      return DataLossError(fmt::format("{}: decompresses to more than {} bytes, the most an IMDB TSV may hold; "
                                       "refused (a decompression bomb?)",
                                       path, max_bytes));
    }
    out.append(buf.data(), static_cast<size_t>(n));
  }
  // gzread returns 0 at a truncated end without an error on some zlib
  // versions; gzclose reports it.
  int rc = gzclose(f);
  if (rc != Z_OK) return DataLossError(fmt::format("{}: corrupt or truncated gzip data (zlib code {})", path, rc));
  return out;
}
#endif

template <typename T>
bool ParseInt(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

StatusOr<std::vector<Review>> ParseTsv(const std::string& data, const std::string& path) {
  std::vector<Review> out;
  size_t pos = 0;
  int64_t line_no = 0;
  bool header_seen = false;
  while (pos < data.size()) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string_view line(data.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (!header_seen) {
      header_seen = true;
      if (line != "label\tid\trating\ttext")
        return DataLossError(fmt::format("{}:1: expected the header label<TAB>id<TAB>rating<TAB>text", path));
      continue;
    }
    std::string_view fields[3];
    std::string_view rest = line;
    for (auto& f : fields) {
      size_t tab = rest.find('\t');
      if (tab == std::string_view::npos)
        return DataLossError(fmt::format("{}:{}: expected 4 tab-separated fields", path, line_no));
      f = rest.substr(0, tab);
      rest = rest.substr(tab + 1);
    }
    Review r;
    if (fields[0] == "pos") {
      r.label = kPositive;
    } else if (fields[0] == "neg") {
      r.label = kNegative;
    } else {
      return DataLossError(fmt::format("{}:{}: label must be pos or neg, got '{}'", path, line_no, fields[0]));
    }
    if (!ParseInt(fields[1], r.id) || !ParseInt(fields[2], r.rating))
      return DataLossError(fmt::format("{}:{}: id and rating must be integers", path, line_no));
    std::string where = fmt::format("{}:{}", path, line_no);
    LTSWEEP_ASSIGN_OR_RETURN(r.text, UnescapeTsvText(rest, where));
    out.push_back(std::move(r));
  }
  if (!header_seen) return DataLossError(fmt::format("{}: empty file", path));
  return out;
}

}  // namespace

StatusOr<std::string> UnescapeTsvText(std::string_view field, std::string_view where) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i + 1 >= field.size())
      return DataLossError(fmt::format("{}: text ends with a lone backslash", where));
    char e = field[++i];
    switch (e) {
      case '\\': out.push_back('\\'); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      default:
        return DataLossError(fmt::format("{}: unknown escape \\{} in text", where, e));
    }
  }
  return out;
}

StatusOr<std::vector<Review>> ReadImdbTsv(const std::string& path, uint64_t max_bytes) {
  LTSWEEP_ASSIGN_OR_RETURN(std::string data, ReadMaybeGzip(path, max_bytes));
  return ParseTsv(data, path);
}

StatusOr<std::vector<Review>> ReadAclImdbSplit(const std::string& root, const std::string& split) {
  std::vector<Review> out;
  for (int label : {kPositive, kNegative}) {
    fs::path dir = fs::path(root) / split / (label == kPositive ? "pos" : "neg");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return NotFoundError(fmt::format("{}: no such folder", dir.string()));
    std::vector<Review> part;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".txt") continue;
      std::string stem = entry.path().stem().string();
      size_t us = stem.find('_');
      Review r;
      r.label = label;
      if (us == std::string::npos || !ParseInt(std::string_view(stem).substr(0, us), r.id) ||
          !ParseInt(std::string_view(stem).substr(us + 1), r.rating))
        return DataLossError(fmt::format("{}: file name must be <id>_<rating>.txt", entry.path().string()));
      std::ifstream in(entry.path(), std::ios::binary);
      if (!in) return NotFoundError(fmt::format("{}: cannot open", entry.path().string()));
      std::ostringstream ss;
      ss << in.rdbuf();
      r.text = ss.str();
      part.push_back(std::move(r));
    }
    if (ec) return DataLossError(fmt::format("{}: cannot list ({})", dir.string(), ec.message()));
    std::sort(part.begin(), part.end(), [](const Review& a, const Review& b) { return a.id < b.id; });
    for (auto& r : part) out.push_back(std::move(r));
  }
  return out;
}

StatusOr<std::vector<std::string>> ImdbSplitFiles(const std::string& root, const std::string& split) {
  std::error_code ec;
  fs::path base(root);
  if (fs::is_directory(base / split / "pos", ec)) {
    std::vector<std::string> files;
    for (const char* label : {"pos", "neg"}) {
      for (const auto& entry : fs::directory_iterator(base / split / label, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".txt") files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    return files;
  }
  for (const char* suffix : {".tsv.gz", ".tsv"}) {
    fs::path p = base / ("imdb_" + split + suffix);
    if (fs::is_regular_file(p, ec)) return std::vector<std::string>{p.string()};
  }
  return NotFoundError(fmt::format("data.root {}: neither an aclImdb folder ({}/pos) nor imdb_{}.tsv[.gz]", root,
                                   split, split));
}

StatusOr<std::vector<Review>> ReadImdbSplit(const std::string& root, const std::string& split) {
  std::error_code ec;
  if (fs::is_directory(fs::path(root) / split / "pos", ec)) return ReadAclImdbSplit(root, split);
  LTSWEEP_ASSIGN_OR_RETURN(auto files, ImdbSplitFiles(root, split));
  return ReadImdbTsv(files.front());
}

}  // namespace ltsweep::trainer::text
