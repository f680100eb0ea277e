// A mini-batch on the training device, ready for the network.
#pragma once
#include <torch/torch.h>

namespace pof {

struct Batch {
  torch::Tensor inputs;  // float32 (pixels normalised, and augmented for training) or int64 token ids
  torch::Tensor labels;  // int64
};

}  // namespace pof
