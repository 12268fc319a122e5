#include "trainer/text/vocabulary.h"

#include <algorithm>

namespace ltsweep::trainer::text {

Vocabulary::Vocabulary(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  index_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) index_.emplace(tokens_[i], static_cast<int32_t>(i));
}

Vocabulary Vocabulary::Build(const std::vector<std::vector<std::string>>& docs, int64_t max_features) {
  std::unordered_map<std::string_view, int64_t> counts;
  for (const auto& doc : docs) {
    for (const auto& tok : doc) ++counts[tok];
  }
  std::vector<std::pair<int64_t, std::string_view>> ranked;
  ranked.reserve(counts.size());
  for (const auto& [tok, n] : counts) ranked.emplace_back(n, tok);
  auto by_rank = [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; };
  size_t keep = std::min<size_t>(ranked.size(), static_cast<size_t>(std::max<int64_t>(0, max_features)));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(), by_rank);
  std::vector<std::string> tokens;
  tokens.reserve(keep);
  for (size_t i = 0; i < keep; ++i) tokens.emplace_back(ranked[i].second);
  return Vocabulary(std::move(tokens));
}

int32_t Vocabulary::Rank(std::string_view token) const {
  auto it = index_.find(std::string(token));
  return it == index_.end() ? -1 : it->second;
}

std::vector<int32_t> Vocabulary::Ranks(const std::vector<std::string>& doc) const {
  std::vector<int32_t> out;
  out.reserve(doc.size());
  for (const auto& tok : doc) {
    auto it = index_.find(tok);
    if (it != index_.end()) out.push_back(it->second);
  }
  return out;
}

Truncation ParseTruncation(const std::string& name) { return name == "post" ? Truncation::kPost : Truncation::kPre; }

int64_t EncodeSequence(const std::vector<int32_t>& ranks, int64_t max_len, int64_t* out, Truncation truncation) {
  const int64_t size = static_cast<int64_t>(ranks.size());
  int64_t n = std::min<int64_t>(max_len, size);
  const int64_t first = truncation == Truncation::kPre ? size - n : 0;
  for (int64_t i = 0; i < n; ++i) out[i] = ranks[static_cast<size_t>(first + i)] + 1;
  for (int64_t i = n; i < max_len; ++i) out[i] = kPadId;
  return n;
}

}  // namespace ltsweep::trainer::text
