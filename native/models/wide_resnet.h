// WideResNet-d-k with the PoF authors' layout: pre-activation basic blocks, final BN + ReLU and
// global average pooling inside the feature extractor, one Linear classifier.
#pragma once
#include "models/batch_norm.h"
#include "models/built_in_network.h"

namespace pof {

struct WideResNetConfig {
  int64_t depth;
  int64_t widen;
  int64_t num_classes;
  int64_t input_channels;
};

// out = conv2(relu(bn2(conv1(relu(bn1(x)))))) + shortcut(x); the stride sits in conv2.
class WideBasicImpl : public torch::nn::Module {
 public:
  WideBasicImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  BatchNorm bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Sequential shortcut_{nullptr};  // empty when shapes already match
};
TORCH_MODULE(WideBasic);

class WideResNetImpl : public BuiltInNetwork {
 public:
  // Bounds that keep a hand-written config from allocating absurd sizes (WRN-28-10 has widen 10).
  static constexpr int64_t kMaxDepth = 1000, kMaxWiden = 64, kMaxClasses = 1 << 20, kMaxChannels = 4096;
  explicit WideResNetImpl(const WideResNetConfig& config);
  torch::Tensor Features(const torch::Tensor& x) override;
  std::optional<InputMismatch> CheckInput(c10::IntArrayRef example_shape) const override;
  std::string Description() const override;

 private:
  int64_t depth_, widen_, input_channels_;
  torch::nn::Conv2d conv1_{nullptr};
  std::vector<torch::nn::Sequential> groups_;
  BatchNorm bn_out_{nullptr};
};

}  // namespace pof
