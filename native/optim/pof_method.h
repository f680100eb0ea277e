// PoF (Sato et al. 2022, Algorithm 1): post-trains the feature extractor phi against a classifier
// perturbed along its own mini-batch gradient; the classifier theta0 is never written.
#pragma once
#include "models/freeze_batch_norm_stats.h"
#include "optim/line_search.h"
#include "optim/training_method.h"

namespace pof {

enum class GammaMode { kFixed, kUniform, kLinear };

struct PofOptions {
  double gamma = 2.0;                      // the fixed value, or gamma_max for uniform / linear
  GammaMode gamma_mode = GammaMode::kFixed;
  bool feature_reuse = false;              // B = the previous iteration's B~ (its features, one step stale)
  LineSearchOptions line_search;
};

class PofMethod : public TrainingMethod {
 public:
  // `optimizer` must update the feature extractor only.
  StepStats Step(Network& network, Sgd& optimizer, const StepInput& input) override;
  // Whether the next step takes B from this one's B~ (feature reuse after a first step).
  bool HasCarriedFeatures() const { return carried_features_.defined(); }
  PofOptions options;

 private:
  // This iteration's gamma, a device scalar.
  torch::Tensor Gamma(const StepInput& input, const torch::TensorOptions& opts) const;

  // The last iteration's B~ features (detached, before its update) and labels.
  torch::Tensor carried_features_, carried_labels_;
  BufferSnapshot snapshot_;  // B's pass leaves the BN statistics as they were
};

}  // namespace pof
