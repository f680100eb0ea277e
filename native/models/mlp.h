// Multi-layer perceptron: ReLU hidden layers (the feature extractor) and a Linear classifier.
#pragma once
#include "models/built_in_network.h"

namespace pof {

struct MlpConfig {
  int64_t input_dim;
  std::vector<int64_t> hidden;
  int64_t num_classes;
};

class MlpImpl : public BuiltInNetwork {
 public:
  // Bounds that keep a hand-written config from allocating absurd sizes.
  static constexpr int64_t kMaxWidth = 1 << 24, kMaxParameters = int64_t{1} << 31;
  explicit MlpImpl(const MlpConfig& config);
  torch::Tensor Features(const torch::Tensor& x) override;
  std::optional<InputMismatch> CheckInput(c10::IntArrayRef example_shape) const override;
  std::string Description() const override;

 private:
  int64_t input_dim_;
  std::vector<int64_t> hidden_;
  torch::nn::ModuleList layers_;
};

}  // namespace pof
