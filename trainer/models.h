// The models of the trainer, in one LibTorch translation unit: NormedLinear
// (the cosine head both tracks use with LDAM; the text track's BiLSTM takes it
// from here) and the image track's ResNets.
//
// The reference's CIFAR ResNets (kaidic/LDAM-DRW models/resnet_cifar.py) in
// LibTorch: ResNet-(6n+2) with option-A (parameter-free) shortcuts, Kaiming
// normal initialisation, and a plain Linear or a NormedLinear (cosine) head.
// ResNet-32 (n = 5) matches the reference parameter for parameter
// (464,154 / 464,144 for CIFAR-10); ResNet-8/14/20 are the same family with
// n = 1/2/3. Parameter names follow the reference's named_parameters()
// ("conv1.weight", "layer1.0.bn2.bias", ..., "linear.weight").
//
// Inputs of any square size go through the same net: the stem keeps the size,
// stages 2 and 3 halve it, and global average pooling makes the head
// independent of it (Fashion-MNIST: 1x28x28 -> 28 -> 14 -> 7).
//
// Ownership: modules are torch::nn holders (shared_ptr semantics).
// Thread-safety: as any torch module; not for concurrent forward passes that
// train (BatchNorm buffers are updated in train mode).
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>

namespace ltsweep::trainer {

// NormedLinear: out = normalize_rows(x) . normalize_columns(W), W of shape
// (in, out) (the reference's transposed layout), no bias. Outputs are cosines
// in [-1, 1]. Init: uniform(-1, 1), then every column renormed to norm 1.
class NormedLinearImpl : public torch::nn::Module {
 public:
  NormedLinearImpl(int64_t in_features, int64_t out_features);
  torch::Tensor forward(const torch::Tensor& x);
  // Re-draws the weight as the reference's __init__ does.
  void reset_parameters();

  torch::Tensor weight;
};
TORCH_MODULE(NormedLinear);

// The option-A shortcut: x[:, :, ::2, ::2], then `pad` zero channels before
// and after (pad = planes / 4). Exposed for its golden test.
torch::Tensor OptionAShortcut(const torch::Tensor& x, int64_t pad);

// BasicBlock: conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN, + shortcut, ReLU.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  bool option_a_ = false;
  int64_t pad_ = 0;
};
TORCH_MODULE(BasicBlock);

struct ResNetOptions {
  // Blocks per stage: 1 (ResNet-8), 2 (14), 3 (20), 5 (ResNet-32).
  int64_t blocks_per_stage = 5;
  int64_t num_classes = 10;
  // Input channels: 3 for CIFAR, 1 for Fashion-MNIST.
  int64_t in_channels = 3;
  // NormedLinear (cosine) head instead of Linear; the reference uses it with LDAM.
  bool normed_head = false;
};

class ResNetCifarImpl : public torch::nn::Module {
 public:
  explicit ResNetCifarImpl(const ResNetOptions& options);
  // x: (N, in_channels, H, W) -> logits (N, num_classes).
  torch::Tensor forward(const torch::Tensor& x);
  const ResNetOptions& options() const { return options_; }

 private:
  ResNetOptions options_;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Sequential layer1_{nullptr}, layer2_{nullptr}, layer3_{nullptr};
  torch::nn::Linear linear_{nullptr};
  NormedLinear normed_{nullptr};
};
TORCH_MODULE(ResNetCifar);

// Blocks per stage for "resnet8|14|20|32" (n = (depth - 2) / 6); throws
// ConfigError naming model.arch for anything else.
int64_t BlocksPerStageForArch(const std::string& arch);

// Builds the model for model.arch with a NormedLinear head when `normed_head`
// (TrainingOptions::normed_head() decides: model.head, "auto" = normed for
// LDAM). Weights are drawn from torch's global generator (seed it first with
// torch::manual_seed for a deterministic init).
ResNetCifar MakeResNet(const std::string& arch, bool normed_head, int64_t num_classes, int64_t in_channels);

// Number of trainable parameters.
int64_t CountParameters(const torch::nn::Module& module);

}  // namespace ltsweep::trainer
