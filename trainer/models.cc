#include "trainer/models.h"

#include <cmath>

#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

namespace F = torch::nn::functional;
using torch::indexing::None;
using torch::indexing::Slice;

torch::nn::Conv2d Conv3x3(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

// The reference's _weights_init: kaiming_normal_ (fan_in, gain sqrt(2)) on
// every Conv2d and Linear weight; biases and BatchNorm keep their defaults.
void KaimingInit(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& module : root.modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanIn, torch::kLeakyReLU);
    } else if (auto* linear = module->as<torch::nn::Linear>()) {
      torch::nn::init::kaiming_normal_(linear->weight, 0.0, torch::kFanIn, torch::kLeakyReLU);
    }
  }
}

}  // namespace

NormedLinearImpl::NormedLinearImpl(int64_t in_features, int64_t out_features) {
  weight = register_parameter("weight", torch::empty({in_features, out_features}));
  reset_parameters();
}

void NormedLinearImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  weight.uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5);
}

torch::Tensor NormedLinearImpl::forward(const torch::Tensor& x) {
  return F::normalize(x, F::NormalizeFuncOptions().dim(1))
      .mm(F::normalize(weight, F::NormalizeFuncOptions().dim(0)));
}

torch::Tensor OptionAShortcut(const torch::Tensor& x, int64_t pad) {
  torch::Tensor sub = x.index({Slice(), Slice(), Slice(None, None, 2), Slice(None, None, 2)});
  return torch::constant_pad_nd(sub, {0, 0, 0, 0, pad, pad}, 0);
}

BasicBlockImpl::BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride) {
  conv1_ = register_module("conv1", Conv3x3(in_planes, planes, stride));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2_ = register_module("conv2", Conv3x3(planes, planes, 1));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(planes));
  if (stride != 1 || in_planes != planes) {
    option_a_ = true;
    pad_ = planes / 4;
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::relu(bn1_->forward(conv1_->forward(x)));
  out = bn2_->forward(conv2_->forward(out));
  out = out + (option_a_ ? OptionAShortcut(x, pad_) : x);
  return torch::relu(out);
}

ResNetCifarImpl::ResNetCifarImpl(const ResNetOptions& options) : options_(options) {
  conv1_ = register_module("conv1", Conv3x3(options.in_channels, 16, 1));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(16));
  int64_t in_planes = 16;
  auto make_layer = [&](int64_t planes, int64_t stride) {
    torch::nn::Sequential layer;
    for (int64_t b = 0; b < options.blocks_per_stage; ++b) {
      layer->push_back(BasicBlock(in_planes, planes, b == 0 ? stride : 1));
      in_planes = planes;
    }
    return layer;
  };
  layer1_ = register_module("layer1", make_layer(16, 1));
  layer2_ = register_module("layer2", make_layer(32, 2));
  layer3_ = register_module("layer3", make_layer(64, 2));
  if (options.normed_head) {
    normed_ = register_module("linear", NormedLinear(64, options.num_classes));
  } else {
    linear_ = register_module("linear", torch::nn::Linear(64, options.num_classes));
  }
  KaimingInit(*this);
}

torch::Tensor ResNetCifarImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::relu(bn1_->forward(conv1_->forward(x)));
  out = layer3_->forward(layer2_->forward(layer1_->forward(out)));
  // F.avg_pool2d(out, out.size()[3]) in the reference: the whole (square) map.
  out = torch::avg_pool2d(out, {out.size(2), out.size(3)});
  out = out.flatten(1);
  return options_.normed_head ? normed_->forward(out) : linear_->forward(out);
}

int64_t BlocksPerStageForArch(const std::string& arch) {
  if (arch == "resnet8") return 1;
  if (arch == "resnet14") return 2;
  if (arch == "resnet20") return 3;
  if (arch == "resnet32") return 5;
  throw ConfigError("model.arch: " + arch + " is not an image model (use resnet8, resnet14, resnet20 or resnet32)");
}

ResNetCifar MakeResNet(const std::string& arch, bool normed_head, int64_t num_classes, int64_t in_channels) {
  ResNetOptions options;
  options.blocks_per_stage = BlocksPerStageForArch(arch);
  options.num_classes = num_classes;
  options.in_channels = in_channels;
  options.normed_head = normed_head;
  return ResNetCifar(options);
}

int64_t CountParameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) {
    if (p.requires_grad()) total += p.numel();
  }
  return total;
}

}  // namespace ltsweep::trainer
