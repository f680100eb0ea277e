#include "models/mlp.h"

namespace pof {

MlpImpl::MlpImpl(const MlpConfig& config) {
  layers_ = register_module("layers", torch::nn::ModuleList());
  int64_t width = config.input_dim;
  for (int64_t h : config.hidden) {
    layers_->push_back(torch::nn::Linear(width, h));
    width = h;
  }
  RegisterClassifier(width, config.num_classes);
}

torch::Tensor MlpImpl::Features(const torch::Tensor& x) {
  torch::Tensor out = x.flatten(1);
  for (const auto& layer : *layers_) out = torch::relu(layer->as<torch::nn::Linear>()->forward(out));
  return out;
}

}  // namespace pof
