// Multi-layer perceptron: ReLU hidden layers (the feature extractor) and a Linear classifier.
#pragma once
#include "models/model.h"

namespace pof {

struct MlpConfig {
  int64_t input_dim = 0;
  std::vector<int64_t> hidden;
  int64_t num_classes = 0;
};

class MlpImpl : public ModelImpl {
 public:
  explicit MlpImpl(const MlpConfig& config);
  torch::Tensor Features(const torch::Tensor& x) override;

 private:
  torch::nn::ModuleList layers_;
};

}  // namespace pof
