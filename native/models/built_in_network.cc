#include "models/built_in_network.h"

namespace pof {

void BuiltInNetwork::RegisterClassifier(int64_t feature_dim, int64_t num_classes) {
  feature_dim_ = feature_dim;
  num_classes_ = num_classes;
  auto classifiers = register_module("classifiers", torch::nn::Sequential(torch::nn::Linear(feature_dim, num_classes)));
  classifier_ = torch::nn::Linear(classifiers->ptr<torch::nn::LinearImpl>(0));
}

NamedTensors BuiltInNetwork::NamedParameters() const {
  NamedTensors out;
  for (const auto& item : named_parameters()) out.emplace_back(item.key(), item.value());
  return out;
}

NamedTensors BuiltInNetwork::NamedBuffers() const {
  NamedTensors out;
  for (const auto& item : named_buffers()) out.emplace_back(item.key(), item.value());
  return out;
}

NamedTensors BuiltInNetwork::StateTensors() const {
  // named_parameters and named_buffers each keep registration order; interleave by module like
  // PyTorch's state_dict: walk modules and take each one's own parameters, then its buffers.
  NamedTensors out;
  for (const auto& module : named_modules()) {
    const std::string prefix = module.key().empty() ? "" : module.key() + ".";
    for (const auto& p : module.value()->named_parameters(/*recurse=*/false)) out.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : module.value()->named_buffers(/*recurse=*/false)) out.emplace_back(prefix + b.key(), b.value());
  }
  return out;
}

}  // namespace pof
