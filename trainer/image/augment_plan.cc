#include "trainer/image/augment_plan.h"

#include <algorithm>
#include <random>
#include <stdexcept>

#include "trainer/image/batch_loader.h"

namespace ltsweep::trainer {

AugmentPlan PlanEpochAugmentation(const AugmentOptions& options, int64_t n, int64_t batch_size,
                                  uint64_t epoch_seed) {
  if (batch_size < 1) throw std::invalid_argument("PlanEpochAugmentation: batch_size must be >= 1");
  AugmentPlan plan;
  const size_t count = static_cast<size_t>(std::max<int64_t>(n, 0));
  if (!options.augment) {
    plan.top.assign(count, options.pad);
    plan.left.assign(count, options.pad);
    plan.flip.assign(count, 0);
    return plan;
  }
  plan.top.reserve(count);
  plan.left.reserve(count);
  plan.flip.reserve(count);
  const uint64_t span = static_cast<uint64_t>(2 * options.pad + 1);
  for (int64_t begin = 0, b = 0; begin < n; begin += batch_size, ++b) {
    std::mt19937_64 engine(BatchSeed(epoch_seed, b));
    for (int64_t i = begin; i < std::min(n, begin + batch_size); ++i) {
      plan.top.push_back(static_cast<int64_t>(engine() % span));
      plan.left.push_back(static_cast<int64_t>(engine() % span));
      const bool flip = (engine() >> 63) != 0;
      plan.flip.push_back(options.flip && flip ? 1 : 0);
    }
  }
  return plan;
}

}  // namespace ltsweep::trainer
