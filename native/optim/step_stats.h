// What one training iteration reports. Every statistic stays a device tensor (no host sync).
#pragma once
#include <torch/torch.h>

namespace pof {

struct StepStats {
  torch::Tensor loss;    // mean loss of the update's forward pass
  torch::Tensor errors;  // misclassified examples in that pass
  // PoF only (undefined otherwise): xi*, rejected flag, ||perturbation|| in classifier space.
  torch::Tensor xi, rejected, perturbation;
};

// The mean cross entropy of `logits` (with its graph, into *loss) and the pass's statistics.
StepStats LossAndErrors(const torch::Tensor& logits, const torch::Tensor& labels, torch::Tensor* loss);

}  // namespace pof
