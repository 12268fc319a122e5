// Exact k-nearest-neighbour search between rows of sparse matrices, by
// Euclidean distance (||a||^2 + ||b||^2 - 2 a.b) or by cosine similarity
// (a.b / (||a|| ||b||)). Dot products are accumulated through an inverted
// index of the base rows, so the cost is the number of (query term, base row)
// pairs that share a column, not rows x columns. Ties are broken by the lower
// base row index, so results are deterministic.
//
// Thread-safety: pure functions; `threads` worker threads split the queries.
#pragma once

#include <cstdint>
#include <vector>

#include "trainer/text/features.h"

namespace ltsweep::trainer::text {

enum class NeighborMetric { kEuclidean, kCosine };

// For each query row, the `k` nearest base rows (fewer when base has fewer),
// nearest first: out[q] = base row indices.
std::vector<std::vector<int64_t>> KNearestRows(const CsrMatrix& base, const CsrMatrix& queries, int64_t k,
                                               NeighborMetric metric, int threads = 1);

}  // namespace ltsweep::trainer::text
