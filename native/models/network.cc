#include "models/network.h"

namespace pof {

NamedTensors Network::FeatureParameters() const {
  NamedTensors out;
  for (auto& item : NamedParameters()) {
    if (!IsClassifierParameter(item.first)) out.push_back(std::move(item));
  }
  return out;
}

NamedTensors Network::ClassifierParameters() const {
  NamedTensors out;
  for (auto& item : NamedParameters()) {
    if (IsClassifierParameter(item.first)) out.push_back(std::move(item));
  }
  return out;
}

bool Network::ConvertToChannelsLast() {
  bool convolutional = false;
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : NamedParameters()) {
    if (p.dim() != 4) continue;
    convolutional = true;
    // set_data keeps the parameter's identity, so optimizers and the network still share it.
    p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  return convolutional;
}

}  // namespace pof
