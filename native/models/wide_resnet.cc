#include "models/wide_resnet.h"
#include "errors.h"

namespace pof {

namespace {

torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

}  // namespace

WideBasicImpl::WideBasicImpl(int64_t in_channels, int64_t out_channels, int64_t stride) {
  bn1_ = register_module("bn1", BatchNorm(in_channels));
  conv1_ = register_module("conv1", Conv(in_channels, out_channels, 3, 1));
  bn2_ = register_module("bn2", BatchNorm(out_channels));
  conv2_ = register_module("conv2", Conv(out_channels, out_channels, 3, stride));
  shortcut_ = register_module("shortcut", torch::nn::Sequential());
  if (stride != 1 || in_channels != out_channels) shortcut_->push_back(Conv(in_channels, out_channels, 1, stride));
}

torch::Tensor WideBasicImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = conv1_->forward(torch::relu(bn1_->forward(x)));
  out = conv2_->forward(torch::relu(bn2_->forward(out)));
  return out + (shortcut_->is_empty() ? x : shortcut_->forward(x));
}

WideResNetImpl::WideResNetImpl(const WideResNetConfig& config)
    : depth_(config.depth), widen_(config.widen), input_channels_(config.input_channels) {
  if (config.depth < 10 || (config.depth - 4) % 6 != 0) {
    throw UserError("wideResNet depth must be 6n+4 with n >= 1 (10, 16, 22, 28, ...), got " +
                    std::to_string(config.depth));
  }
  if (config.depth > kMaxDepth) throw UserError("wideResNet depth must be <= " + std::to_string(kMaxDepth) + ", got " + std::to_string(config.depth));
  if (config.widen < 1 || config.widen > kMaxWiden) {
    throw UserError("wideResNet widen must be an integer in 1.." + std::to_string(kMaxWiden) + ", got " + std::to_string(config.widen));
  }
  if (config.num_classes < 2 || config.num_classes > kMaxClasses) {
    throw UserError("wideResNet numClasses must be an integer in 2.." + std::to_string(kMaxClasses) + ", got " +
                    std::to_string(config.num_classes));
  }
  if (config.input_channels < 1 || config.input_channels > kMaxChannels) {
    throw UserError("wideResNet inputChannels must be an integer in 1.." + std::to_string(kMaxChannels) + ", got " +
                    std::to_string(config.input_channels));
  }
  const int64_t n = (config.depth - 4) / 6;
  const int64_t stages[4] = {16, 16 * config.widen, 32 * config.widen, 64 * config.widen};
  conv1_ = register_module("conv1", Conv(config.input_channels, stages[0], 3, 1));
  int64_t channels = stages[0];
  for (int g = 1; g <= 3; ++g) {
    torch::nn::Sequential group;
    for (int64_t i = 0; i < n; ++i) {
      group->push_back("num_" + std::to_string(i), WideBasic(channels, stages[g], i == 0 && g > 1 ? 2 : 1));
      channels = stages[g];
    }
    groups_.push_back(register_module("layer" + std::to_string(g), group));
  }
  bn_out_ = register_module("bn_out", BatchNorm(stages[3]));
  RegisterClassifier(stages[3], config.num_classes);

  // The paper's initialisation: He (fan_out) convolutions, BN (1, 0), classifier N(0, 0.1^2) and bias 0.
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2dImpl>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
  }
  classifier()->weight.normal_(0.0, 0.1);
  classifier()->bias.zero_();
}

torch::Tensor WideResNetImpl::Features(const torch::Tensor& x) {
  torch::Tensor out = conv1_->forward(x);
  for (auto& group : groups_) out = group->forward(out);
  out = torch::relu(bn_out_->forward(out));
  return out.mean({2, 3});  // global average pooling
}

std::optional<InputMismatch> WideResNetImpl::CheckInput(c10::IntArrayRef example_shape) const {
  if (example_shape.size() == 3 && example_shape[0] == input_channels_ && example_shape[1] > 0 && example_shape[2] > 0) {
    return std::nullopt;
  }
  return InputMismatch{c10::str(example_shape), "images [" + std::to_string(input_channels_) + ", H, W]"};
}

std::string WideResNetImpl::Description() const {
  return "wideResNet-" + std::to_string(depth_) + "-" + std::to_string(widen_) + " (inputChannels " +
         std::to_string(input_channels_) + ", " + std::to_string(num_classes()) + " classes)";
}

}  // namespace pof
