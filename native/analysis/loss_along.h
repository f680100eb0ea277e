// The loss at w + t * d for directions d in a parameter subset and a grid of steps t: 1-D loss
// landscapes (Fig. 1d) and the test loss left to gain along a direction (Fig. 1c).
#pragma once
#include <torch/torch.h>
#include <vector>
#include "analysis/subset_loss.h"

namespace pof {

// directions: [m, subset numel] (any float dtype, any device); returns [m, steps] float64 on the CPU.
// The subset's parameters are restored bit for bit afterwards, also when an error interrupts.
torch::Tensor LossAlong(SubsetLoss& loss, const torch::Tensor& directions, const std::vector<double>& steps);

}  // namespace pof
