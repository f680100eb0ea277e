#include "optim/sgd_method.h"

namespace pof {

StepStats SgdMethod::Step(Network& network, Sgd& optimizer, const StepInput& input) {
  optimizer.ZeroGrad();
  torch::Tensor loss;
  StepStats stats = LossAndErrors(network.Forward(input.regular.inputs), input.regular.labels, &loss);
  loss.backward();
  StepWithHook(optimizer, input.gradient_hook);
  return stats;
}

TrainingMethod& SgdMethodOptions::Configure(std::unique_ptr<TrainingMethod>& current) const {
  return Reuse<SgdMethod>(current);
}

std::shared_ptr<const MethodOptions> ParseSgdMethodOptions(const Napi::Object&) {
  return std::make_shared<SgdMethodOptions>();
}

}  // namespace pof
