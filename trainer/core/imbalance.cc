#include "trainer/core/imbalance.h"

#include <cmath>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include "trainer/core/errors.h"
#include "trainer/core/numpy_random.h"

namespace ltsweep::trainer {

ImbalanceType ParseImbalanceType(const std::string& name) {
  if (name == "exp") return ImbalanceType::kExp;
  if (name == "step") return ImbalanceType::kStep;
  if (name == "none") return ImbalanceType::kNone;
  throw ConfigError(fmt::format("data.imbalance.type: unknown value '{}'; expected exp, step or none", name));
}

std::vector<int64_t> ImbalancedClassCounts(int num_classes, double img_max, ImbalanceType type, double ratio) {
  if (num_classes < 1) throw ConfigError(fmt::format("imbalance: number of classes {} must be at least 1", num_classes));
  if (!(img_max >= 0)) throw ConfigError(fmt::format("imbalance: images per class {} must be >= 0", img_max));
  if (!(ratio >= 1.0) || !std::isfinite(ratio)) {
    throw ConfigError(fmt::format("data.imbalance.ratio: {} must be a finite number >= 1", ratio));
  }
  const double imb_factor = 1.0 / ratio;  // double on purpose (ALGORITHMS.md §1.1 pitfall)
  std::vector<int64_t> counts(num_classes);
  switch (type) {
    case ImbalanceType::kExp:
      for (int i = 0; i < num_classes; ++i) {
        double exponent = num_classes == 1 ? 0.0 : i / (num_classes - 1.0);
        counts[i] = static_cast<int64_t>(img_max * std::pow(imb_factor, exponent));
      }
      break;
    case ImbalanceType::kStep: {
      int head = num_classes / 2;
      for (int i = 0; i < num_classes; ++i) {
        counts[i] = i < head ? static_cast<int64_t>(img_max) : static_cast<int64_t>(img_max * imb_factor);
      }
      break;
    }
    case ImbalanceType::kNone:
      for (int i = 0; i < num_classes; ++i) counts[i] = static_cast<int64_t>(img_max);
      break;
  }
  return counts;
}

std::vector<std::vector<int64_t>> KeptWithinClassRanks(const std::vector<int64_t>& class_sizes,
                                                       const std::vector<int64_t>& counts, uint32_t seed) {
  if (class_sizes.size() != counts.size()) {
    throw ConfigError(fmt::format("imbalance: {} class sizes but {} counts", class_sizes.size(), counts.size()));
  }
  NumpyRandomState rng(seed);
  std::vector<std::vector<int64_t>> kept(counts.size());
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] < 0 || counts[c] > class_sizes[c]) {
      throw ConfigError(fmt::format("imbalance: class {} has {} images, cannot keep {}", c, class_sizes[c], counts[c]));
    }
    std::vector<int64_t> ranks(class_sizes[c]);
    std::iota(ranks.begin(), ranks.end(), int64_t{0});
    rng.Shuffle(ranks.data(), ranks.size());
    ranks.resize(counts[c]);
    kept[c] = std::move(ranks);
  }
  return kept;
}

std::vector<int64_t> ClassCounts(const std::vector<int32_t>& labels, int num_classes) {
  std::vector<int64_t> counts(num_classes, 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    int32_t l = labels[i];
    if (l < 0 || l >= num_classes) {
      throw ConfigError(fmt::format("label {} at position {} is outside [0, {})", l, i, num_classes));
    }
    ++counts[l];
  }
  return counts;
}

std::vector<int64_t> KeptPositions(const std::vector<int32_t>& labels, int num_classes,
                                   const std::vector<int64_t>& counts, uint32_t seed) {
  std::vector<int64_t> sizes = ClassCounts(labels, num_classes);
  std::vector<std::vector<int64_t>> positions(num_classes);
  for (int c = 0; c < num_classes; ++c) positions[c].reserve(sizes[c]);
  for (size_t i = 0; i < labels.size(); ++i) positions[labels[i]].push_back(static_cast<int64_t>(i));
  std::vector<std::vector<int64_t>> ranks = KeptWithinClassRanks(sizes, counts, seed);
  std::vector<int64_t> kept;
  kept.reserve(std::accumulate(counts.begin(), counts.end(), int64_t{0}));
  for (int c = 0; c < num_classes; ++c) {
    for (int64_t r : ranks[c]) kept.push_back(positions[c][r]);
  }
  return kept;
}

}  // namespace ltsweep::trainer
