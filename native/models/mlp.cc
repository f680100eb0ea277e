#include "models/mlp.h"
#include "errors.h"

namespace pof {

MlpImpl::MlpImpl(const MlpConfig& config) : input_dim_(config.input_dim), hidden_(config.hidden) {
  auto check = [](const std::string& name, int64_t v, int64_t min) {
    if (v < min || v > kMaxWidth) {
      throw UserError("mlp " + name + " must be an integer in " + std::to_string(min) + ".." + std::to_string(kMaxWidth) +
                      ", got " + std::to_string(v));
    }
  };
  check("inputDim", config.input_dim, 1);
  check("numClasses", config.num_classes, 2);
  for (size_t i = 0; i < config.hidden.size(); ++i) check("hidden[" + std::to_string(i) + "]", config.hidden[i], 1);
  int64_t parameters = 0, in = config.input_dim;
  for (int64_t out : config.hidden) parameters += (in + 1) * out, in = out;
  parameters += (in + 1) * config.num_classes;
  if (parameters > kMaxParameters) {
    throw UserError("mlp has " + std::to_string(parameters) + " parameters; at most " + std::to_string(kMaxParameters) +
                    " are supported");
  }
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

std::optional<InputMismatch> MlpImpl::CheckInput(c10::IntArrayRef example_shape) const {
  const int64_t n = c10::multiply_integers(example_shape);
  if (n == input_dim_) return std::nullopt;
  return InputMismatch{c10::str(example_shape) + " (" + std::to_string(n) + " values)",
                       std::to_string(input_dim_) + " values per example"};
}

std::string MlpImpl::Description() const {
  return "mlp (inputDim " + std::to_string(input_dim_) + ", hidden " + c10::str(c10::IntArrayRef(hidden_)) + ", " +
         std::to_string(num_classes()) + " classes)";
}

}  // namespace pof
