#include "trainer/text/imbalance.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace ltsweep::trainer::text {
namespace {

std::vector<std::vector<int64_t>> ByClass(const std::vector<int>& labels) {
  int num_classes = 0;
  for (int l : labels) num_classes = std::max(num_classes, l + 1);
  std::vector<std::vector<int64_t>> by(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i) by[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  return by;
}

int64_t RoundCount(double x) { return static_cast<int64_t>(std::llround(x)); }

}  // namespace

void SeededShuffle(std::vector<int64_t>& v, uint32_t seed) {
  std::mt19937 rng(seed);
  for (size_t i = v.size(); i > 1; --i) {
    size_t j = rng() % i;
    std::swap(v[i - 1], v[j]);
  }
}

std::vector<int64_t> ImbalanceIndices(const std::vector<int>& labels, double keep_fraction, uint32_t seed) {
  std::vector<int64_t> kept, negatives;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == 0) {
      negatives.push_back(static_cast<int64_t>(i));
    } else {
      kept.push_back(static_cast<int64_t>(i));
    }
  }
  SeededShuffle(negatives, seed);
  int64_t keep = std::min<int64_t>(static_cast<int64_t>(negatives.size()),
                                   RoundCount(keep_fraction * static_cast<double>(negatives.size())));
  kept.insert(kept.end(), negatives.begin(), negatives.begin() + keep);
  std::sort(kept.begin(), kept.end());
  return kept;
}

SplitIndices DevSplit(const std::vector<int>& labels, double val_split, uint32_t seed) {
  SplitIndices out;
  auto by = ByClass(labels);
  for (size_t c = 0; c < by.size(); ++c) {
    auto& idx = by[c];
    SeededShuffle(idx, seed + static_cast<uint32_t>(c));
    int64_t n_dev = std::min<int64_t>(static_cast<int64_t>(idx.size()), RoundCount(val_split * static_cast<double>(idx.size())));
    out.dev.insert(out.dev.end(), idx.begin(), idx.begin() + n_dev);
    out.train.insert(out.train.end(), idx.begin() + n_dev, idx.end());
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.dev.begin(), out.dev.end());
  return out;
}

std::vector<int64_t> StratifiedLimit(const std::vector<int>& labels, int64_t limit, uint32_t seed) {
  std::vector<int64_t> out;
  if (limit <= 0 || limit >= static_cast<int64_t>(labels.size())) {
    for (size_t i = 0; i < labels.size(); ++i) out.push_back(static_cast<int64_t>(i));
    return out;
  }
  auto by = ByClass(labels);
  double n = static_cast<double>(labels.size());
  for (size_t c = 0; c < by.size(); ++c) {
    auto& idx = by[c];
    if (idx.empty()) continue;
    SeededShuffle(idx, seed + static_cast<uint32_t>(c));
    int64_t k = std::max<int64_t>(1, RoundCount(static_cast<double>(limit) * static_cast<double>(idx.size()) / n));
    k = std::min<int64_t>(k, static_cast<int64_t>(idx.size()));
    out.insert(out.end(), idx.begin(), idx.begin() + k);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ltsweep::trainer::text
