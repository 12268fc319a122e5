// Document features for the classical models of the IMDB track: a sparse
// row-major (CSR) float matrix over the vocabulary ranks, one row per review.
//
//   bow     raw token counts (scikit-learn CountVectorizer);
//   binary  1 where the token occurs (CountVectorizer(binary=True));
//   tfidf   counts * idf, idf_j = ln((1 + n) / (1 + df_j)) + 1 with n and
//           df_j taken from the fitted (training) documents, then each row
//           scaled to unit L2 norm (TfidfTransformer defaults: smooth_idf,
//           norm="l2", sublinear_tf=False). Empty rows stay zero.
//
// Thread-safety: values; const methods safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace ltsweep::trainer::text {

struct CsrMatrix {
  int64_t cols = 0;
  std::vector<int64_t> indptr{0};  // rows + 1 entries
  std::vector<int32_t> indices;    // column of each stored value, ascending within a row
  std::vector<float> values;

  int64_t rows() const { return static_cast<int64_t>(indptr.size()) - 1; }
  int64_t nnz() const { return static_cast<int64_t>(values.size()); }
  // Appends a row given as (column, value) pairs with ascending, unique columns.
  void AppendRow(const std::vector<std::pair<int32_t, float>>& row);
  // Dot product of row r with a dense vector of length cols.
  double RowDot(int64_t r, const double* w) const;
  // The rows at `rows`, in that order.
  CsrMatrix Rows(const std::vector<int64_t>& rows) const;
};

enum class FeatureKind { kBow, kBinary, kTfidf };

// "bow", "binary", "tfidf" (the model.features values).
StatusOr<FeatureKind> ParseFeatureKind(const std::string& name);

// Turns rank lists into feature rows. Fit() learns idf from training docs
// (only tfidf needs it); Transform() applies it.
class FeatureExtractor {
 public:
  FeatureExtractor(FeatureKind kind, int64_t vocab_size) : kind_(kind), vocab_size_(vocab_size) {}
  void Fit(const std::vector<std::vector<int32_t>>& docs);
  CsrMatrix Transform(const std::vector<std::vector<int32_t>>& docs) const;
  const std::vector<double>& idf() const { return idf_; }

 private:
  FeatureKind kind_;
  int64_t vocab_size_;
  std::vector<double> idf_;
};

// Scales every row to unit L2 norm (zero rows stay zero).
void NormalizeRowsL2(CsrMatrix& m);

}  // namespace ltsweep::trainer::text
