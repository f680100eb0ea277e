// Plain training: one forward/backward pass and a step of the base optimizer on its parameters.
#pragma once
#include <napi.h>
#include <memory>
#include "optim/training_method.h"

namespace pof {

class SgdMethod : public TrainingMethod {
 public:
  StepStats Step(Network& network, Sgd& optimizer, const StepInput& input) override;
};

// { method: 'sgd' }: nothing beyond the base optimizer's options.
struct SgdMethodOptions : MethodOptions {
  void Validate(int64_t batch_size) const override {}
  TrainingMethod& Configure(std::unique_ptr<TrainingMethod>& current) const override;
};

std::shared_ptr<const MethodOptions> ParseSgdMethodOptions(const Napi::Object& o);

}  // namespace pof
