// The training criteria of the reference (kaidic/LDAM-DRW losses.py and
// cifar_train.py), in LibTorch:
//   ce     nn.CrossEntropyLoss(weight): PyTorch's weighted mean
//          sum_i w[y_i] l_i / sum_i w[y_i] (plain mean without weights).
//   focal  l_i = w[y_i] CE_i; p_i = exp(-l_i); loss = mean_i (1 - p_i)^gamma l_i
//          (the weight sits inside the exponential; plain mean over the batch).
//   ldam   margins m_j = max_m (n_min / n_j)^(1/4), subtracted from the true
//          logit only, then all logits scaled by s, then weighted CE as above.
// Class weights are optional and may change between epochs (DRW):
// SetClassWeights() swaps them.
//
// LossKind and LossOptions (with the schema's defaults) are in
// trainer/core/training_options.h; trainer/training_objects.h makes a Loss
// from a trial's TrainingOptions.
//
// Ownership: a Loss owns its small tensors (margins, weights).
// Thread-safety: not thread-safe; used by the training thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "trainer/core/training_options.h"

namespace ltsweep::trainer {

// LDAM margins m_j = max_m * (1/n_j^(1/4)) / max_k(1/n_k^(1/4)), in double.
std::vector<double> LdamMargins(const std::vector<int64_t>& class_counts, double max_m);

class Loss {
 public:
  explicit Loss(LossOptions options);

  // logits (N, C) of any floating dtype, targets (N) int64 -> scalar loss in
  // the logits' dtype and device.
  torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& targets);

  // Per-class weights (size C), or empty for none. Converted to the logits'
  // dtype and device on use.
  void SetClassWeights(std::vector<double> weights);
  const std::vector<double>& class_weights() const { return weights_; }
  const LossOptions& options() const { return options_; }

 private:
  torch::Tensor WeightTensor(const torch::Tensor& like);

  LossOptions options_;
  std::vector<double> weights_;
  std::vector<double> margins_;
  torch::Tensor weight_cache_;  // weights_ as a tensor, re-made on dtype/device change
  torch::Tensor margin_cache_;
};

}  // namespace ltsweep::trainer
