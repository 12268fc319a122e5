#include "trainer/core/smote.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "trainer/core/errors.h"
#include "trainer/core/numpy_random.h"

namespace ltsweep::trainer {
namespace {

// Below this many multiply-adds the search computes every distance exactly.
constexpr double kExactWorkLimit = 2e7;
// Extra approximate candidates re-ranked exactly per query.
constexpr int kExtraCandidates = 8;
// Blocking of the approximate search: query rows, data rows, columns per chunk.
constexpr int64_t kQueryBlock = 96;  // multiple of 3 (kernel rows)
constexpr int64_t kDataBlock = 256;  // multiple of 4 (kernel columns)
constexpr int64_t kChunk = 256;      // multiple of 4 (vector width)

typedef float V4 __attribute__((vector_size(16)));

inline V4 Load4(const float* p) {
  V4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline float Sum4(V4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// acc[r][c] += q_r . x_c over `len` columns (len a multiple of 4), for 3 query
// rows and 4 data rows.
inline void Kernel3x4(const float* q0, const float* q1, const float* q2, const float* x0, const float* x1,
                      const float* x2, const float* x3, int64_t len, float acc[3][4]) {
  V4 a00 = {0, 0, 0, 0}, a01 = a00, a02 = a00, a03 = a00;
  V4 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  V4 a20 = a00, a21 = a00, a22 = a00, a23 = a00;
  for (int64_t j = 0; j < len; j += 4) {
    V4 v0 = Load4(q0 + j), v1 = Load4(q1 + j), v2 = Load4(q2 + j);
    V4 x = Load4(x0 + j);
    a00 += v0 * x, a10 += v1 * x, a20 += v2 * x;
    x = Load4(x1 + j);
    a01 += v0 * x, a11 += v1 * x, a21 += v2 * x;
    x = Load4(x2 + j);
    a02 += v0 * x, a12 += v1 * x, a22 += v2 * x;
    x = Load4(x3 + j);
    a03 += v0 * x, a13 += v1 * x, a23 += v2 * x;
  }
  acc[0][0] += Sum4(a00), acc[0][1] += Sum4(a01), acc[0][2] += Sum4(a02), acc[0][3] += Sum4(a03);
  acc[1][0] += Sum4(a10), acc[1][1] += Sum4(a11), acc[1][2] += Sum4(a12), acc[1][3] += Sum4(a13);
  acc[2][0] += Sum4(a20), acc[2][1] += Sum4(a21), acc[2][2] += Sum4(a22), acc[2][3] += Sum4(a23);
}

template <typename T>
double ExactSquaredDistance(const T* a, const T* b, int64_t d) {
  double s = 0;
  for (int64_t j = 0; j < d; ++j) {
    double diff = static_cast<double>(a[j]) - static_cast<double>(b[j]);
    s += diff * diff;
  }
  return s;
}

using Candidate = std::pair<double, int64_t>;  // (distance, index): ordered by distance, then index

// Inserts into a sorted list of at most `cap` entries.
inline void Offer(std::vector<Candidate>& list, size_t cap, Candidate c) {
  if (list.size() == cap && !(c < list.back())) return;
  auto it = std::upper_bound(list.begin(), list.end(), c);
  list.insert(it, c);
  if (list.size() > cap) list.pop_back();
}

template <typename T>
void ExactSearch(const T* data, int64_t n_data, const T* queries, int64_t q_begin, int64_t q_end, int64_t d, int k,
                 int64_t* out) {
  std::vector<Candidate> all(n_data);
  for (int64_t q = q_begin; q < q_end; ++q) {
    for (int64_t i = 0; i < n_data; ++i) all[i] = {ExactSquaredDistance(queries + q * d, data + i * d, d), i};
    std::partial_sort(all.begin(), all.begin() + k, all.end());
    for (int i = 0; i < k; ++i) out[q * k + i] = all[i].second;
  }
}

// Approximate candidates from blocked float dot products, re-ranked exactly.
template <typename T>
void BlockedSearch(const T* data, const float* data_f, const std::vector<float>& data_norm, int64_t n_data,
                   const T* queries, const float* query_f, const std::vector<float>& query_norm, int64_t q_begin,
                   int64_t q_end, int64_t d, int64_t d_padded, int k, int64_t* out) {
  const size_t cap = static_cast<size_t>(std::min<int64_t>(n_data, k + kExtraCandidates));
  std::vector<std::vector<Candidate>> best(static_cast<size_t>(kQueryBlock));
  std::vector<float> tile(static_cast<size_t>(kQueryBlock * kDataBlock));
  for (int64_t qb = q_begin; qb < q_end; qb += kQueryBlock) {
    const int64_t nq = std::min(kQueryBlock, q_end - qb);
    for (auto& b : best) b.clear();
    for (int64_t db = 0; db < n_data; db += kDataBlock) {
      const int64_t nd = std::min(kDataBlock, n_data - db);
      std::fill(tile.begin(), tile.end(), 0.0f);
      for (int64_t c0 = 0; c0 < d_padded; c0 += kChunk) {
        const int64_t len = std::min(kChunk, d_padded - c0);
        for (int64_t r = 0; r < nq; r += 3) {
          const float* q[3];
          for (int u = 0; u < 3; ++u) q[u] = query_f + (qb + std::min<int64_t>(r + u, nq - 1)) * d_padded + c0;
          for (int64_t c = 0; c < nd; c += 4) {
            const float* x[4];
            for (int u = 0; u < 4; ++u) x[u] = data_f + (db + std::min<int64_t>(c + u, nd - 1)) * d_padded + c0;
            float acc[3][4] = {};
            Kernel3x4(q[0], q[1], q[2], x[0], x[1], x[2], x[3], len, acc);
            for (int u = 0; u < 3 && r + u < nq; ++u) {
              for (int w = 0; w < 4 && c + w < nd; ++w) tile[(r + u) * kDataBlock + c + w] += acc[u][w];
            }
          }
        }
      }
      for (int64_t r = 0; r < nq; ++r) {
        const float qn = query_norm[qb + r];
        for (int64_t c = 0; c < nd; ++c) {
          double dist = static_cast<double>(qn) + data_norm[db + c] - 2.0 * tile[r * kDataBlock + c];
          Offer(best[r], cap, {dist, db + c});
        }
      }
    }
    for (int64_t r = 0; r < nq; ++r) {
      const int64_t q = qb + r;
      for (auto& cand : best[r]) cand.first = ExactSquaredDistance(queries + q * d, data + cand.second * d, d);
      std::sort(best[r].begin(), best[r].end());
      for (int i = 0; i < k; ++i) out[q * k + i] = best[r][i].second;
    }
  }
}

template <typename T>
std::vector<float> PaddedFloatCopy(const T* x, int64_t n, int64_t d, int64_t d_padded, std::vector<float>* norms) {
  std::vector<float> out(static_cast<size_t>(n * d_padded), 0.0f);
  norms->assign(static_cast<size_t>(n), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < d; ++j) {
      float v = static_cast<float>(x[i * d + j]);
      out[i * d_padded + j] = v;
      s += static_cast<double>(v) * v;
    }
    (*norms)[i] = static_cast<float>(s);
  }
  return out;
}

template <typename T>
std::vector<T> GatherRows(const T* x, int64_t d, const std::vector<int64_t>& rows) {
  std::vector<T> out(rows.size() * static_cast<size_t>(d));
  for (size_t i = 0; i < rows.size(); ++i) std::copy(x + rows[i] * d, x + (rows[i] + 1) * d, out.begin() + i * d);
  return out;
}

// kneighbors(queries, k + 1)[:, 1:] as sklearn does: the first column is dropped.
template <typename T>
std::vector<int64_t> NeighboursWithoutFirst(const T* data, int64_t n_data, const T* queries, int64_t n_query,
                                            int64_t d, int k, int threads, const char* what, int32_t label) {
  if (k + 1 > n_data) {
    throw DataError(fmt::format("{} for class {}: {} neighbours need at least {} samples, got {}", what, label, k, k + 1,
                                n_data));
  }
  std::vector<int64_t> nn = KNearestNeighbors(data, n_data, queries, n_query, d, k + 1, threads);
  std::vector<int64_t> out(static_cast<size_t>(n_query * k));
  for (int64_t q = 0; q < n_query; ++q) {
    for (int i = 0; i < k; ++i) out[q * k + i] = nn[q * (k + 1) + i + 1];
  }
  return out;
}

template <typename T>
void Append(SmoteResult<T>& result, const T* base, const T* nn_data, int64_t n_nn_data, const std::vector<int64_t>& nns,
            int k, int64_t d, const SampleDraws& draws, int32_t label) {
  for (size_t i = 0; i < draws.rows.size(); ++i) {
    int64_t idx = nns[draws.rows[i] * k + draws.cols[i]];
    if (idx >= n_nn_data) {
      throw DataError(fmt::format("borderline-2 for class {}: neighbour index {} is beyond the {} other-class rows",
                                  label, idx, n_nn_data));
    }
  }
  size_t old = result.x_new.size();
  result.x_new.resize(old + draws.rows.size() * static_cast<size_t>(d));
  GenerateSamples(base, nn_data, nns.data(), k, d, draws, result.x_new.data() + old);
  result.y_new.insert(result.y_new.end(), draws.rows.size(), label);
}

}  // namespace

SmoteKind ParseSmoteKind(const std::string& name) {
  if (name == "smote") return SmoteKind::kSmote;
  if (name == "borderline1") return SmoteKind::kBorderline1;
  if (name == "borderline2") return SmoteKind::kBorderline2;
  throw ConfigError(
      fmt::format("method.oversample: unknown value '{}'; expected smote, borderline1 or borderline2", name));
}

std::vector<std::pair<int32_t, int64_t>> NotMajoritySamplingStrategy(const int32_t* y, int64_t n) {
  std::map<int32_t, int64_t> counts;
  for (int64_t i = 0; i < n; ++i) ++counts[y[i]];
  int32_t majority = 0;
  int64_t n_majority = -1;
  for (const auto& [label, count] : counts) {
    if (count > n_majority) majority = label, n_majority = count;
  }
  std::vector<std::pair<int32_t, int64_t>> out;
  for (const auto& [label, count] : counts) {
    if (label != majority) out.emplace_back(label, n_majority - count);
  }
  return out;
}

template <typename T>
std::vector<int64_t> KNearestNeighbors(const T* data, int64_t n_data, const T* queries, int64_t n_query, int64_t d,
                                       int k, int num_threads) {
  if (k < 1 || k > n_data) throw DataError(fmt::format("nearest neighbours: k = {} with {} samples", k, n_data));
  std::vector<int64_t> out(static_cast<size_t>(n_query * k));
  if (n_query == 0) return out;
  const int threads = static_cast<int>(std::clamp<int64_t>(num_threads, 1, std::max<int64_t>(1, n_query / 16)));
  auto run_parallel = [&](auto&& body) {
    if (threads == 1) return body(0, n_query);
    std::vector<std::thread> pool;
    int64_t per = (n_query + threads - 1) / threads;
    for (int t = 0; t < threads; ++t) {
      int64_t b = t * per, e = std::min(n_query, b + per);
      if (b < e) pool.emplace_back([&body, b, e] { body(b, e); });
    }
    for (auto& th : pool) th.join();
  };
  if (static_cast<double>(n_data) * n_query * d <= kExactWorkLimit) {
    run_parallel([&](int64_t b, int64_t e) { ExactSearch(data, n_data, queries, b, e, d, k, out.data()); });
    return out;
  }
  const int64_t d_padded = (d + 3) / 4 * 4;
  std::vector<float> data_norm, query_norm;
  std::vector<float> data_f = PaddedFloatCopy(data, n_data, d, d_padded, &data_norm);
  std::vector<float> query_f = PaddedFloatCopy(queries, n_query, d, d_padded, &query_norm);
  run_parallel([&](int64_t b, int64_t e) {
    BlockedSearch(data, data_f.data(), data_norm, n_data, queries, query_f.data(), query_norm, b, e, d, d_padded, k,
                  out.data());
  });
  return out;
}

SampleDraws DrawSamples(uint32_t seed, int64_t n_samples, int64_t n_rows, int k, double step_size) {
  SampleDraws draws;
  NumpyRandomState rng(seed);
  const int64_t high = n_rows * k;
  draws.rows.resize(n_samples);
  draws.cols.resize(n_samples);
  draws.steps.resize(n_samples);
  for (int64_t i = 0; i < n_samples; ++i) {
    int64_t idx = rng.RandInt(0, high);
    draws.rows[i] = idx / k;
    draws.cols[i] = idx % k;
  }
  for (int64_t i = 0; i < n_samples; ++i) draws.steps[i] = step_size * rng.Uniform(0.0, 1.0);
  return draws;
}

template <typename T>
void GenerateSamples(const T* base, const T* nn_data, const int64_t* nns, int k, int64_t d, const SampleDraws& draws,
                     T* out) {
  for (size_t i = 0; i < draws.rows.size(); ++i) {
    const T* x = base + draws.rows[i] * d;
    const T* nb = nn_data + nns[draws.rows[i] * k + draws.cols[i]] * d;
    const double step = draws.steps[i];
    for (int64_t j = 0; j < d; ++j) {
      T diff = static_cast<T>(nb[j] - x[j]);
      out[i * d + j] = static_cast<T>(static_cast<double>(x[j]) + step * static_cast<double>(diff));
    }
  }
}

template <typename T>
SmoteResult<T> Oversample(const T* x, int64_t n, int64_t d, const int32_t* y, const SmoteOptions& options) {
  const int k = options.k_neighbors;
  const int m = options.m_neighbors;
  if (k < 1) throw ConfigError(fmt::format("method.smote_k: {} must be >= 1", k));
  if (m < 1) throw ConfigError(fmt::format("method.smote_m: {} must be >= 1", m));
  SmoteResult<T> result;
  for (const auto& [label, n_samples] : NotMajoritySamplingStrategy(y, n)) {
    if (n_samples == 0) continue;
    SmoteClassInfo info;
    info.label = label;
    info.n_requested = n_samples;
    std::vector<int64_t> class_rows;
    for (int64_t i = 0; i < n; ++i) {
      if (y[i] == label) class_rows.push_back(i);
    }
    const int64_t n_class = static_cast<int64_t>(class_rows.size());
    std::vector<T> x_class = GatherRows(x, d, class_rows);
    const size_t before = result.y_new.size();
    if (options.kind == SmoteKind::kSmote) {
      std::vector<int64_t> nns = NeighboursWithoutFirst(x_class.data(), n_class, x_class.data(), n_class, d, k,
                                                        options.num_threads, "SMOTE", label);
      SampleDraws draws = DrawSamples(options.seed, n_samples, n_class, k, 1.0);
      Append(result, x_class.data(), x_class.data(), n_class, nns, k, d, draws, label);
    } else {
      std::vector<int64_t> nn_m =
          NeighboursWithoutFirst(x, n, x_class.data(), n_class, d, m, options.num_threads, "borderline-SMOTE", label);
      std::vector<int64_t> danger_local;
      for (int64_t i = 0; i < n_class; ++i) {
        int other = 0;
        for (int j = 0; j < m; ++j) other += y[nn_m[i * m + j]] != label;
        info.n_other_among_m.push_back(other);
        if (other >= m / 2.0 && other < m) {
          danger_local.push_back(i);
          info.danger_rows.push_back(class_rows[i]);
        } else if (other == m) {
          info.noise_rows.push_back(class_rows[i]);
        }
      }
      if (!danger_local.empty()) {
        const int64_t n_danger = static_cast<int64_t>(danger_local.size());
        std::vector<T> x_danger = GatherRows(x_class.data(), d, danger_local);
        std::vector<int64_t> nns = NeighboursWithoutFirst(x_class.data(), n_class, x_danger.data(), n_danger, d, k,
                                                          options.num_threads, "borderline-SMOTE", label);
        if (options.kind == SmoteKind::kBorderline1) {
          SampleDraws draws = DrawSamples(options.seed, n_samples, n_danger, k, 1.0);
          Append(result, x_danger.data(), x_class.data(), n_class, nns, k, d, draws, label);
        } else {
          NumpyRandomState rng(options.seed);
          const double fraction = rng.Beta(10, 10);
          const int64_t n1 = static_cast<int64_t>(fraction * static_cast<double>(n_samples + 1));
          const int64_t n2 = static_cast<int64_t>((1 - fraction) * static_cast<double>(n_samples));
          info.borderline2_fraction = fraction;
          info.n_toward_class = n1;
          info.n_toward_other = n2;
          SampleDraws draws1 = DrawSamples(options.seed, n1, n_danger, k, 1.0);
          Append(result, x_danger.data(), x_class.data(), n_class, nns, k, d, draws1, label);
          std::vector<int64_t> other_rows;
          for (int64_t i = 0; i < n; ++i) {
            if (y[i] != label) other_rows.push_back(i);
          }
          std::vector<T> x_other = GatherRows(x, d, other_rows);
          SampleDraws draws2 = DrawSamples(options.seed, n2, n_danger, k, 0.5);
          Append(result, x_danger.data(), x_other.data(), static_cast<int64_t>(other_rows.size()), nns, k, d, draws2,
                 label);
        }
      }
    }
    info.n_generated = static_cast<int64_t>(result.y_new.size() - before);
    result.classes.push_back(std::move(info));
  }
  return result;
}

template SmoteResult<float> Oversample<float>(const float*, int64_t, int64_t, const int32_t*, const SmoteOptions&);
template SmoteResult<double> Oversample<double>(const double*, int64_t, int64_t, const int32_t*, const SmoteOptions&);
template std::vector<int64_t> KNearestNeighbors<float>(const float*, int64_t, const float*, int64_t, int64_t, int, int);
template std::vector<int64_t> KNearestNeighbors<double>(const double*, int64_t, const double*, int64_t, int64_t, int,
                                                        int);
template void GenerateSamples<float>(const float*, const float*, const int64_t*, int, int64_t, const SampleDraws&,
                                     float*);
template void GenerateSamples<double>(const double*, const double*, const int64_t*, int, int64_t, const SampleDraws&,
                                      double*);

}  // namespace ltsweep::trainer
