// The point between backward and the base optimizer's step: a hook sees the parameters the step
// will update, their .grad filled, and may rewrite those gradients in place (data parallelism
// all-reduces them here). An empty hook: nothing runs.
#pragma once
#include <torch/torch.h>
#include <functional>
#include <vector>
#include "optim/sgd.h"

namespace pof {

using GradientHook = std::function<void(const std::vector<torch::Tensor>& params)>;

// The hook (when set), then the optimizer's step.
inline void StepWithHook(Sgd& optimizer, const GradientHook& hook) {
  if (hook) hook(optimizer.params());
  optimizer.Step();
}

}  // namespace pof
