#include "trainer/losses.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

namespace F = torch::nn::functional;

torch::Tensor ToTensor(const std::vector<double>& values, const torch::Tensor& like) {
  return torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64))
      .to(like.device(), like.scalar_type());
}

bool Matches(const torch::Tensor& cache, const torch::Tensor& like) {
  return cache.defined() && cache.scalar_type() == like.scalar_type() && cache.device() == like.device();
}

}  // namespace

std::vector<double> LdamMargins(const std::vector<int64_t>& class_counts, double max_m) {
  std::vector<double> m(class_counts.size());
  double largest = 0.0;
  for (size_t j = 0; j < class_counts.size(); ++j) {
    if (class_counts[j] <= 0) {
      throw ConfigError("method.loss: ldam needs at least one training sample in every class (class " +
                        std::to_string(j) + " has none)");
    }
    m[j] = 1.0 / std::sqrt(std::sqrt(static_cast<double>(class_counts[j])));
    largest = std::max(largest, m[j]);
  }
  for (double& v : m) v = v * (max_m / largest);
  return m;
}

Loss::Loss(LossOptions options) : options_(std::move(options)) {
  if (options_.kind == LossKind::kLdam) margins_ = LdamMargins(options_.class_counts, options_.ldam_max_m);
}

void Loss::SetClassWeights(std::vector<double> weights) {
  weights_ = std::move(weights);
  weight_cache_ = torch::Tensor();
}

torch::Tensor Loss::WeightTensor(const torch::Tensor& like) {
  if (weights_.empty()) return torch::Tensor();
  if (!Matches(weight_cache_, like)) weight_cache_ = ToTensor(weights_, like);
  return weight_cache_;
}

torch::Tensor Loss::operator()(const torch::Tensor& logits, const torch::Tensor& targets) {
  torch::Tensor weight = WeightTensor(logits);
  auto ce_options = [&](torch::nn::CrossEntropyLossOptions::reduction_t reduction) {
    F::CrossEntropyFuncOptions o;
    o.reduction(reduction);
    if (weight.defined()) o.weight(weight);
    return o;
  };
  switch (options_.kind) {
    case LossKind::kCrossEntropy:
      return F::cross_entropy(logits, targets, ce_options(torch::kMean));
    case LossKind::kFocal: {
      torch::Tensor l = F::cross_entropy(logits, targets, ce_options(torch::kNone));
      torch::Tensor p = torch::exp(-l);
      return (torch::pow(1 - p, options_.focal_gamma) * l).mean();
    }
    case LossKind::kLdam: {
      if (!Matches(margin_cache_, logits)) margin_cache_ = ToTensor(margins_, logits);
      torch::Tensor batch_m = margin_cache_.index_select(0, targets).unsqueeze(1);
      torch::Tensor mask = F::one_hot(targets, logits.size(1)).to(torch::kBool);
      torch::Tensor output = torch::where(mask, logits - batch_m, logits);
      return F::cross_entropy(output * options_.ldam_s, targets, ce_options(torch::kMean));
    }
  }
  throw std::logic_error("unknown loss kind");
}

}  // namespace ltsweep::trainer
