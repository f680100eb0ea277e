// A training method (SGD, SAM, PoF): one object per method, owning the state it carries from step
// to step. The engine's epoch loop draws the batches and hands each iteration to the method.
#pragma once
#include <torch/torch.h>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include "data/batch.h"
#include "distributed/cross_rank.h"
#include "errors.h"
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
  // Whether the next step takes PoF's B from this one (feature reuse after a first step).
  virtual bool CarriesWeakBatch() const { return false; }
};

// Bounds the options' Validate share, in one wording.
inline void CheckAtLeast(const char* name, int64_t value, int64_t min) {
  if (value < min) throw UserError(std::string(name) + " must be >= " + std::to_string(min) + ", got " + std::to_string(value));
}
inline void CheckFiniteNonNegative(const char* name, double value) {
  if (!std::isfinite(value) || value < 0) {
    throw UserError(std::string(name) + " must be a finite number >= 0, got " + std::to_string(value));
  }
}

// One method's options, parsed from its own fields ({ method: 'sam', rho, localAscent }, ...): what the
// epoch loop asks of them, and the method object they configure. A new method is one of these with its
// parser, in its own *_method.cc, and an entry in kMethodParsers (optim/method_options.cc).
class MethodOptions {
 public:
  virtual ~MethodOptions() = default;
  // PoF's |B|, the second batch each step draws; 0 for a method that draws none.
  virtual int64_t WeakBatchSize() const { return 0; }
  // Under PoF's feature reuse B may come from the previous step instead of being given.
  virtual bool ReusesWeakBatch() const { return false; }
  // The values alone, and against the step's batch size.
  virtual void Validate(int64_t batch_size) const = 0;
  // Refuses a base optimizer the method cannot step (PoF updates the feature extractor only).
  virtual void CheckOptimizer(bool features_only) const {}
  // The method object in `current` with these options when it is of this method (keeping its carried
  // state), else a fresh one put in its place.
  virtual TrainingMethod& Configure(std::unique_ptr<TrainingMethod>& current) const = 0;
};

// The object in `current` when it is a T, else a fresh T in its place.
template <typename T>
T& Reuse(std::unique_ptr<TrainingMethod>& current) {
  if (auto* same = dynamic_cast<T*>(current.get())) return *same;
  auto fresh = std::make_unique<T>();
  T& out = *fresh;
  current = std::move(fresh);
  return out;
}

}  // namespace pof
