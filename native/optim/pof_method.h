// PoF (Sato et al. 2022, Algorithm 1): post-trains the feature extractor phi against a classifier
// perturbed along its own mini-batch gradient; the classifier theta0 is never written.
#pragma once
#include <napi.h>
#include <memory>
#include "models/freeze_batch_norm_stats.h"
#include "optim/line_search.h"
#include "optim/training_method.h"

namespace pof {

enum class GammaMode { kFixed, kUniform, kLinear };

// { method: 'pof', gamma, gammaMode, weakBatchSize, featureReuse, initialStep, maxStep, partitions }
struct PofOptions : MethodOptions {
  double gamma;  // the fixed value, or gamma_max for uniform / linear
  GammaMode gamma_mode;
  int64_t weak_batch_size;  // |B|
  bool feature_reuse;       // B = the previous iteration's B~ (its features, one step stale)
  LineSearchOptions line_search;

  int64_t WeakBatchSize() const override { return weak_batch_size; }
  bool ReusesWeakBatch() const override { return feature_reuse; }
  // weakBatchSize >= 1, gamma finite >= 0, the line search's; under feature reuse |B| = |B~|.
  void Validate(int64_t batch_size) const override;
  void CheckOptimizer(bool features_only) const override;
  TrainingMethod& Configure(std::unique_ptr<TrainingMethod>& current) const override;
};

std::shared_ptr<const MethodOptions> ParsePofOptions(const Napi::Object& o);

class PofMethod : public TrainingMethod {
 public:
  // `optimizer` must update the feature extractor only.
  StepStats Step(Network& network, Sgd& optimizer, const StepInput& input) override;
  // The next step takes B from this one's B~ (feature reuse after a first step).
  bool CarriesWeakBatch() const override { return options.feature_reuse && carried_features_.defined(); }
  PofOptions options;

 private:
  // This iteration's gamma, a device scalar.
  torch::Tensor Gamma(const StepInput& input, const torch::TensorOptions& opts) const;

  // The last iteration's B~ features (detached, before its update) and labels.
  torch::Tensor carried_features_, carried_labels_;
  BufferSnapshot snapshot_;  // B's pass leaves the BN statistics as they were
};

}  // namespace pof
