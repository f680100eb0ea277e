// A training method (SGD, SAM, PoF): one object per method, owning the state it carries from step
// to step. The engine's epoch loop draws the batches and hands each iteration to the method.
#pragma once
#include <torch/torch.h>
#include <functional>
#include "data/batch.h"
#include "distributed/cross_rank.h"
#include "models/network.h"
#include "optim/gradient_hook.h"
#include "optim/sgd.h"
#include "optim/step_stats.h"

namespace pof {

// What one iteration gets from the epoch loop.
struct StepInput {
  Batch regular;                       // the update's batch (PoF's B~), ready for the network
  std::function<Batch()> draw_weak;    // PoF's B: drawn (and augmented) only when the method needs it
  at::Generator* generator = nullptr;  // the run's generator, for the method's own draws
  double schedule_fraction = 1.0;      // of the phase done once this step ends (schedules within a step)
  GradientHook gradient_hook;          // runs between backward and the optimizer's step
  CrossRank ranks;                     // data parallel: the batches are this rank's shards
};

class TrainingMethod {
 public:
  virtual ~TrainingMethod() = default;
  // One iteration: its passes, the gradient hook, the base optimizer's step on `optimizer`'s parameters.
  virtual StepStats Step(Network& network, Sgd& optimizer, const StepInput& input) = 0;
};

}  // namespace pof
