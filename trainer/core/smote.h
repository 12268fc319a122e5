// SMOTE and borderline-SMOTE (kinds 1 and 2) with imbalanced-learn 0.10
// semantics (ALGORITHMS.md §8), on a row-major matrix X (n rows x d columns)
// with int labels y:
//   * sampling strategy "auto" = "not majority": every class except the
//     majority (the lowest label with the largest count) gets
//     n_majority - n_c new rows; classes processed in ascending label order;
//   * every generation call draws from a fresh NumpyRandomState(seed):
//     n randint(0, rows * k), then n uniform(0, 1); row = idx / k,
//     col = idx % k, new = x_row + step * (x_nn(row, col) - x_row);
//   * SMOTE: k-NN (k + 1, self dropped) within the class; bases = all class rows;
//   * borderline: (m + 1)-NN on the whole set; m' = neighbours of another class;
//     danger when m/2 <= m' < m, noise when m' == m; only danger rows are
//     bases; a class without danger rows gets no new rows; the k-NN of the
//     danger rows are searched among all class rows;
//   * borderline-2 (0.10 bug kept): f = Beta(10, 10) from a fresh
//     NumpyRandomState(seed); int(f * (n + 1)) rows as borderline-1, plus
//     int((1 - f) * n) rows with step 0.5 toward rows of the other-class array
//     indexed by the minority neighbour indices.
//
// Neighbour search is brute-force Euclidean; ties are broken by the lower row
// index (sklearn's order for exact duplicates may differ). Candidates are found
// with blocked ||a||^2 + ||b||^2 - 2 a.b distances (optionally over threads) and
// re-ranked with exactly computed squared differences, so the result is exact
// for float64 golden data and fast for CIFAR-size float input.
//
// Arithmetic as numpy does it: the difference x_nn - x_row in T, then
// x_row + step * diff in double, stored as T.
//
// Thread-safety: free functions, no shared state. Throws DataError when a class
// has too few rows for the neighbour counts (sklearn raises ValueError there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config_schema.h"

namespace ltsweep::trainer {

enum class SmoteKind { kSmote, kBorderline1, kBorderline2 };

// "smote" | "borderline1" | "borderline2" (method.oversample); ConfigError otherwise.
SmoteKind ParseSmoteKind(const std::string& name);

struct SmoteOptions {
  SmoteKind kind = SmoteKind::kSmote;
  int k_neighbors = SchemaDefault<int>("method.smote_k");  // interpolation neighbours
  int m_neighbors = SchemaDefault<int>("method.smote_m");  // borderline danger-set neighbours
  uint32_t seed = 0;     // random_state (an int: every call restarts the stream)
  int num_threads = 1;   // threads for the distance computation (>= 1)
};

// Per-class record of what happened, for logs and tests.
struct SmoteClassInfo {
  int32_t label = 0;
  int64_t n_requested = 0;              // sampling_strategy_[label]
  int64_t n_generated = 0;              // rows actually made (borderline: 0 without danger rows)
  std::vector<int64_t> danger_rows;     // borderline: danger row indices into X (ascending)
  std::vector<int64_t> noise_rows;      // borderline: noise row indices into X
  std::vector<int> n_other_among_m;     // borderline: m' for every row of the class (in X order)
  // borderline-2 only: the Beta(10, 10) draw and the two parts of n_generated.
  double borderline2_fraction = 0;
  int64_t n_toward_class = 0;           // int(f * (n + 1)), step 1, toward class neighbours
  int64_t n_toward_other = 0;           // int((1 - f) * n), step 0.5, toward other-class rows
};

template <typename T>
struct SmoteResult {
  std::vector<T> x_new;        // synthetic rows only, row-major, grouped by class in label order
  std::vector<int32_t> y_new;  // their labels
  std::vector<SmoteClassInfo> classes;  // one per class with n_requested > 0, ascending label
};

// Over-samples (X, y). The caller appends x_new / y_new to its own copy of X, y
// (the output order of imblearn: originals first, then the new rows).
template <typename T>
SmoteResult<T> Oversample(const T* x, int64_t n, int64_t d, const int32_t* y, const SmoteOptions& options);

// "not majority": (label, n_new) for every class except the majority, ascending.
std::vector<std::pair<int32_t, int64_t>> NotMajoritySamplingStrategy(const int32_t* y, int64_t n);

// k nearest rows of `data` (n_data x d) for each row of `queries` (n_query x d),
// nearest first, ties by lower index; the query itself is not excluded.
// Returns n_query * k indices. Requires k <= n_data.
template <typename T>
std::vector<int64_t> KNearestNeighbors(const T* data, int64_t n_data, const T* queries, int64_t n_query, int64_t d,
                                       int k, int num_threads = 1);

// The draws of one _make_samples call: fresh NumpyRandomState(seed), then
// n randint(0, n_rows * k) and n uniform(0, 1) scaled by step_size.
struct SampleDraws {
  std::vector<int64_t> rows;
  std::vector<int64_t> cols;
  std::vector<double> steps;
};
SampleDraws DrawSamples(uint32_t seed, int64_t n_samples, int64_t n_rows, int k, double step_size);

// _generate_samples: out[i] = base[rows[i]] + steps[i] * (nn_data[nns[rows[i] * k + cols[i]]] - base[rows[i]]).
// `out` must hold draws.rows.size() * d values.
template <typename T>
void GenerateSamples(const T* base, const T* nn_data, const int64_t* nns, int k, int64_t d, const SampleDraws& draws,
                     T* out);

}  // namespace ltsweep::trainer
