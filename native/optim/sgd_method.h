// Plain training: one forward/backward pass and a step of the base optimizer on its parameters.
#pragma once
#include "optim/training_method.h"

namespace pof {

class SgdMethod : public TrainingMethod {
 public:
  StepStats Step(Network& network, Sgd& optimizer, const StepInput& input) override;
};

}  // namespace pof
