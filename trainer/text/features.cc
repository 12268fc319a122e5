#include "trainer/text/features.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace ltsweep::trainer::text {

void CsrMatrix::AppendRow(const std::vector<std::pair<int32_t, float>>& row) {
  for (const auto& [c, v] : row) {
    indices.push_back(c);
    values.push_back(v);
  }
  indptr.push_back(static_cast<int64_t>(values.size()));
}

double CsrMatrix::RowDot(int64_t r, const double* w) const {
  double s = 0;
  for (int64_t k = indptr[static_cast<size_t>(r)]; k < indptr[static_cast<size_t>(r) + 1]; ++k)
    s += static_cast<double>(values[static_cast<size_t>(k)]) * w[indices[static_cast<size_t>(k)]];
  return s;
}

CsrMatrix CsrMatrix::Rows(const std::vector<int64_t>& rows) const {
  CsrMatrix out;
  out.cols = cols;
  for (int64_t r : rows) {
    auto b = indptr[static_cast<size_t>(r)], e = indptr[static_cast<size_t>(r) + 1];
    out.indices.insert(out.indices.end(), indices.begin() + b, indices.begin() + e);
    out.values.insert(out.values.end(), values.begin() + b, values.begin() + e);
    out.indptr.push_back(static_cast<int64_t>(out.values.size()));
  }
  return out;
}

StatusOr<FeatureKind> ParseFeatureKind(const std::string& name) {
  if (name == "bow") return FeatureKind::kBow;
  if (name == "binary") return FeatureKind::kBinary;
  if (name == "tfidf") return FeatureKind::kTfidf;
  return InvalidArgumentError(fmt::format("model.features: unknown value '{}'; expected bow, binary or tfidf", name));
}

void FeatureExtractor::Fit(const std::vector<std::vector<int32_t>>& docs) {
  std::vector<int64_t> df(static_cast<size_t>(vocab_size_), 0);
  std::vector<int64_t> last(static_cast<size_t>(vocab_size_), -1);
  for (size_t d = 0; d < docs.size(); ++d) {
    for (int32_t t : docs[d]) {
      if (last[static_cast<size_t>(t)] != static_cast<int64_t>(d)) {
        last[static_cast<size_t>(t)] = static_cast<int64_t>(d);
        ++df[static_cast<size_t>(t)];
      }
    }
  }
  double n = static_cast<double>(docs.size());
  idf_.assign(static_cast<size_t>(vocab_size_), 1.0);
  for (size_t j = 0; j < df.size(); ++j) idf_[j] = std::log((1.0 + n) / (1.0 + static_cast<double>(df[j]))) + 1.0;
}

CsrMatrix FeatureExtractor::Transform(const std::vector<std::vector<int32_t>>& docs) const {
  CsrMatrix m;
  m.cols = vocab_size_;
  m.indptr.reserve(docs.size() + 1);
  std::vector<std::pair<int32_t, float>> row;
  for (const auto& doc : docs) {
    std::vector<int32_t> sorted(doc);
    std::sort(sorted.begin(), sorted.end());
    row.clear();
    for (size_t i = 0; i < sorted.size();) {
      size_t j = i;
      while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
      double v = static_cast<double>(j - i);
      if (kind_ == FeatureKind::kBinary) v = 1.0;
      if (kind_ == FeatureKind::kTfidf) v *= idf_.empty() ? 1.0 : idf_[static_cast<size_t>(sorted[i])];
      row.emplace_back(sorted[i], static_cast<float>(v));
      i = j;
    }
    if (kind_ == FeatureKind::kTfidf) {
      double ss = 0;
      for (const auto& [c, v] : row) ss += static_cast<double>(v) * v;
      if (ss > 0) {
        double inv = 1.0 / std::sqrt(ss);
        for (auto& [c, v] : row) v = static_cast<float>(v * inv);
      }
    }
    m.AppendRow(row);
  }
  return m;
}

void NormalizeRowsL2(CsrMatrix& m) {
  for (int64_t r = 0; r < m.rows(); ++r) {
    double ss = 0;
    for (int64_t k = m.indptr[static_cast<size_t>(r)]; k < m.indptr[static_cast<size_t>(r) + 1]; ++k)
      ss += static_cast<double>(m.values[static_cast<size_t>(k)]) * m.values[static_cast<size_t>(k)];
    if (ss <= 0) continue;
    double inv = 1.0 / std::sqrt(ss);
    for (int64_t k = m.indptr[static_cast<size_t>(r)]; k < m.indptr[static_cast<size_t>(r) + 1]; ++k)
      m.values[static_cast<size_t>(k)] = static_cast<float>(m.values[static_cast<size_t>(k)] * inv);
  }
}

}  // namespace ltsweep::trainer::text
