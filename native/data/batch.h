// A mini-batch on the training device, ready for the network.
#pragma once
#include <torch/torch.h>

namespace pof {

struct Batch {
  torch::Tensor inputs;  // float, normalised (and augmented for training)
  torch::Tensor labels;  // int64
};

}  // namespace pof
