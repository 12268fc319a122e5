#include "trainer/training_objects.h"

namespace ltsweep::trainer {

Loss MakeLoss(const LossOptions& options, const std::vector<int64_t>& class_counts) {
  LossOptions with_counts = options;
  with_counts.class_counts = class_counts;
  return Loss(std::move(with_counts));
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const OptimizerOptions& options,
                                                       const std::vector<torch::Tensor>& parameters) {
  switch (options.kind) {
    case OptimizerKind::kAdam:
      return std::make_unique<torch::optim::Adam>(parameters,
                                                  torch::optim::AdamOptions(options.lr).weight_decay(options.weight_decay));
    case OptimizerKind::kSgd:
      break;
  }
  return std::make_unique<torch::optim::SGD>(
      parameters, torch::optim::SGDOptions(options.lr).momentum(options.momentum).weight_decay(options.weight_decay));
}

void ApplyEpochClassWeights(const EpochBalance& balance, Loss& loss) {
  if (balance.class_weights) {
    loss.SetClassWeights(std::vector<double>(balance.class_weights->begin(), balance.class_weights->end()));
  } else {
    loss.SetClassWeights({});
  }
}

}  // namespace ltsweep::trainer
