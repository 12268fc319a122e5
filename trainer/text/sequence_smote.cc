#include "trainer/text/sequence_smote.h"

#include <algorithm>
#include <cmath>

#include "trainer/core/smote.h"

namespace ltsweep::trainer::text {

void PrePadIds(const std::vector<int32_t>& ranks, int64_t max_len, double* out) {
  const int64_t n = std::min<int64_t>(max_len, static_cast<int64_t>(ranks.size()));
  const int64_t first = static_cast<int64_t>(ranks.size()) - n;
  const int64_t pad = max_len - n;
  for (int64_t i = 0; i < pad; ++i) out[i] = 0.0;
  for (int64_t i = 0; i < n; ++i) out[pad + i] = static_cast<double>(ranks[static_cast<size_t>(first + i)]) + 1.0;
}

TextSplit OversampleSequences(const TextSplit& train, const SequenceSmoteOptions& options) {
  const int64_t n = train.size();
  const int64_t d = options.max_len;
  std::vector<double> x(static_cast<size_t>(n * d));
  std::vector<int32_t> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    PrePadIds(train.docs[static_cast<size_t>(i)], d, x.data() + i * d);
    y[static_cast<size_t>(i)] = static_cast<int32_t>(train.labels[static_cast<size_t>(i)]);
  }
  SmoteOptions so;
  so.kind = SmoteKind::kSmote;
  so.k_neighbors = options.k_neighbors;
  so.seed = options.seed;
  SmoteResult<double> r = Oversample<double>(x.data(), n, d, y.data(), so);
  TextSplit out = train;
  const int64_t made = static_cast<int64_t>(r.y_new.size());
  for (int64_t i = 0; i < made; ++i) {
    std::vector<int32_t> doc;
    for (int64_t j = 0; j < d; ++j) {
      // astype(int32): truncation toward zero; ids are >= 0.
      const auto id = static_cast<int64_t>(std::trunc(r.x_new[static_cast<size_t>(i * d + j)]));
      if (id > 0) doc.push_back(static_cast<int32_t>(id - 1));
    }
    out.docs.push_back(std::move(doc));
    out.labels.push_back(r.y_new[static_cast<size_t>(i)]);
  }
  return out;
}

}  // namespace ltsweep::trainer::text
