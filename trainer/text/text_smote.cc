#include "trainer/text/text_smote.h"

#include <algorithm>
#include <map>
#include <random>

#include <fmt/format.h>

#include "trainer/text/sparse_neighbors.h"

namespace ltsweep::trainer::text {
namespace {

// x_a + t (x_b - x_a) as a sparse row.
std::vector<std::pair<int32_t, float>> Interpolate(const CsrMatrix& x, int64_t a, int64_t b, double t) {
  std::map<int32_t, double> acc;
  for (int64_t p = x.indptr[static_cast<size_t>(a)]; p < x.indptr[static_cast<size_t>(a) + 1]; ++p)
    acc[x.indices[static_cast<size_t>(p)]] += (1.0 - t) * x.values[static_cast<size_t>(p)];
  for (int64_t p = x.indptr[static_cast<size_t>(b)]; p < x.indptr[static_cast<size_t>(b) + 1]; ++p)
    acc[x.indices[static_cast<size_t>(p)]] += t * x.values[static_cast<size_t>(p)];
  std::vector<std::pair<int32_t, float>> row;
  for (const auto& [c, v] : acc) {
    if (v != 0.0) row.emplace_back(c, static_cast<float>(v));
  }
  return row;
}

double Beta(std::mt19937& rng, double a, double b) {
  std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
  double x = ga(rng), y = gb(rng);
  return x / (x + y);
}

}  // namespace

StatusOr<TextSmoteResult> OversampleSparse(const CsrMatrix& x, const std::vector<int>& y,
                                           const TextSmoteOptions& options) {
  if (options.kind != "smote" && options.kind != "borderline1" && options.kind != "borderline2")
    return InvalidArgumentError(fmt::format("method.oversample: unknown kind '{}'", options.kind));
  if (static_cast<int64_t>(y.size()) != x.rows()) return InvalidArgumentError("SMOTE: labels and rows differ in number");
  int64_t counts[2] = {0, 0};
  for (int l : y) ++counts[l];
  const int minority = counts[0] <= counts[1] ? 0 : 1;
  std::vector<int64_t> min_rows, maj_rows;
  for (size_t i = 0; i < y.size(); ++i) (y[i] == minority ? min_rows : maj_rows).push_back(static_cast<int64_t>(i));
  const int64_t n_new = static_cast<int64_t>(maj_rows.size()) - static_cast<int64_t>(min_rows.size());
  if (static_cast<int64_t>(min_rows.size()) <= options.k)
    return InvalidArgumentError(fmt::format("method.smote_k: {} neighbours need more than {} minority samples, have {}",
                                            options.k, options.k, min_rows.size()));

  TextSmoteResult out;
  out.x = x;
  out.y = y;
  if (n_new <= 0) return out;
  std::mt19937 rng(options.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  CsrMatrix x_min = x.Rows(min_rows);
  // Base samples: all minority rows, or the danger set.
  std::vector<int64_t> bases;  // positions in min_rows
  if (options.kind == "smote") {
    for (size_t i = 0; i < min_rows.size(); ++i) bases.push_back(static_cast<int64_t>(i));
  } else {
    auto nn_m = KNearestRows(x, x_min, options.m + 1, NeighborMetric::kEuclidean, options.threads);
    for (size_t i = 0; i < min_rows.size(); ++i) {
      int64_t n_maj = 0;
      for (size_t j = 1; j < nn_m[i].size(); ++j) n_maj += y[static_cast<size_t>(nn_m[i][j])] != minority;
      if (2 * n_maj >= options.m && n_maj < options.m) bases.push_back(static_cast<int64_t>(i));
    }
    out.danger_count = static_cast<int64_t>(bases.size());
    if (bases.empty()) return out;
  }
  CsrMatrix x_base = x_min.Rows(bases);
  auto nns = KNearestRows(x_min, x_base, options.k + 1, NeighborMetric::kEuclidean, options.threads);
  for (auto& row : nns) row.erase(row.begin());  // drop the sample itself

  auto make = [&](int64_t count, const std::vector<std::vector<int64_t>>& neighbours,
                  const std::vector<int64_t>& neighbour_rows, double step_size) {
    const int64_t width = options.k;
    std::uniform_int_distribution<int64_t> pick(0, static_cast<int64_t>(bases.size()) * width - 1);
    for (int64_t s = 0; s < count; ++s) {
      int64_t flat = pick(rng);
      double t = step_size * unit(rng);
      int64_t b = flat / width, c = flat % width;
      int64_t from = min_rows[static_cast<size_t>(bases[static_cast<size_t>(b)])];
      int64_t to = neighbour_rows[static_cast<size_t>(neighbours[static_cast<size_t>(b)][static_cast<size_t>(c)])];
      out.x.AppendRow(Interpolate(x, from, to, t));
      out.y.push_back(minority);
      out.origin.push_back({from, to, t});
    }
  };
  if (options.kind != "borderline2") {
    make(n_new, nns, min_rows, 1.0);
  } else {
    double f = Beta(rng, 10.0, 10.0);
    int64_t n1 = std::min<int64_t>(n_new, static_cast<int64_t>(f * static_cast<double>(n_new + 1)));
    make(n1, nns, min_rows, 1.0);
    CsrMatrix x_maj = x.Rows(maj_rows);
    auto nn_maj = KNearestRows(x_maj, x_base, options.k, NeighborMetric::kEuclidean, options.threads);
    make(n_new - n1, nn_maj, maj_rows, 0.5);
  }
  return out;
}

}  // namespace ltsweep::trainer::text
