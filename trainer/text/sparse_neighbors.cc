#include "trainer/text/sparse_neighbors.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace ltsweep::trainer::text {
namespace {

std::vector<double> RowSquaredNorms(const CsrMatrix& m) {
  std::vector<double> out(static_cast<size_t>(m.rows()), 0.0);
  for (int64_t r = 0; r < m.rows(); ++r) {
    for (int64_t k = m.indptr[static_cast<size_t>(r)]; k < m.indptr[static_cast<size_t>(r) + 1]; ++k)
      out[static_cast<size_t>(r)] += static_cast<double>(m.values[static_cast<size_t>(k)]) * m.values[static_cast<size_t>(k)];
  }
  return out;
}

}  // namespace

std::vector<std::vector<int64_t>> KNearestRows(const CsrMatrix& base, const CsrMatrix& queries, int64_t k,
                                               NeighborMetric metric, int threads) {
  const int64_t n_base = base.rows();
  const int64_t cols = std::max(base.cols, queries.cols);
  // Inverted index: column -> (row, value), in CSC form.
  std::vector<int64_t> col_ptr(static_cast<size_t>(cols) + 1, 0);
  for (int32_t c : base.indices) ++col_ptr[static_cast<size_t>(c) + 1];
  for (size_t c = 0; c < static_cast<size_t>(cols); ++c) col_ptr[c + 1] += col_ptr[c];
  std::vector<int64_t> fill(col_ptr.begin(), col_ptr.end() - 1);
  std::vector<int32_t> col_rows(base.indices.size());
  std::vector<float> col_vals(base.indices.size());
  for (int64_t r = 0; r < n_base; ++r) {
    for (int64_t p = base.indptr[static_cast<size_t>(r)]; p < base.indptr[static_cast<size_t>(r) + 1]; ++p) {
      int64_t dst = fill[static_cast<size_t>(base.indices[static_cast<size_t>(p)])]++;
      col_rows[static_cast<size_t>(dst)] = static_cast<int32_t>(r);
      col_vals[static_cast<size_t>(dst)] = base.values[static_cast<size_t>(p)];
    }
  }
  const std::vector<double> base_sq = RowSquaredNorms(base);
  const std::vector<double> query_sq = RowSquaredNorms(queries);
  const int64_t take = std::min<int64_t>(k, n_base);
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(queries.rows()));

  auto work = [&](int64_t begin, int64_t end) {
    std::vector<double> dot(static_cast<size_t>(n_base));
    std::vector<std::pair<double, int64_t>> scored(static_cast<size_t>(n_base));
    for (int64_t q = begin; q < end; ++q) {
      std::fill(dot.begin(), dot.end(), 0.0);
      for (int64_t p = queries.indptr[static_cast<size_t>(q)]; p < queries.indptr[static_cast<size_t>(q) + 1]; ++p) {
        int32_t c = queries.indices[static_cast<size_t>(p)];
        double v = queries.values[static_cast<size_t>(p)];
        for (int64_t i = col_ptr[static_cast<size_t>(c)]; i < col_ptr[static_cast<size_t>(c) + 1]; ++i)
          dot[static_cast<size_t>(col_rows[static_cast<size_t>(i)])] += v * col_vals[static_cast<size_t>(i)];
      }
      double qn = query_sq[static_cast<size_t>(q)];
      for (int64_t r = 0; r < n_base; ++r) {
        double d;
        if (metric == NeighborMetric::kEuclidean) {
          d = std::max(0.0, qn + base_sq[static_cast<size_t>(r)] - 2.0 * dot[static_cast<size_t>(r)]);
        } else {
          double denom = std::sqrt(qn * base_sq[static_cast<size_t>(r)]);
          d = 1.0 - (denom > 0 ? dot[static_cast<size_t>(r)] / denom : 0.0);  // cosine distance
        }
        scored[static_cast<size_t>(r)] = {d, r};
      }
      std::partial_sort(scored.begin(), scored.begin() + take, scored.end());
      auto& row = out[static_cast<size_t>(q)];
      row.resize(static_cast<size_t>(take));
      for (int64_t i = 0; i < take; ++i) row[static_cast<size_t>(i)] = scored[static_cast<size_t>(i)].second;
    }
  };
  int n_threads = std::max(1, threads);
  int64_t n_q = queries.rows();
  std::vector<std::thread> pool;
  int64_t chunk = (n_q + n_threads - 1) / n_threads;
  for (int t = 1; t < n_threads; ++t) {
    int64_t b = t * chunk, e = std::min(n_q, b + chunk);
    if (b < e) pool.emplace_back(work, b, e);
  }
  work(0, std::min(n_q, chunk));
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace ltsweep::trainer::text
