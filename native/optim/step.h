// One training iteration of each method. Every statistic stays a device tensor (no host sync).
#pragma once
#include <torch/torch.h>
#include "models/model.h"
#include "optim/line_search.h"
#include "optim/sgd.h"

namespace pof {

struct Batch {
  torch::Tensor inputs;  // float, normalised (and augmented for training)
  torch::Tensor labels;  // int64
};

struct StepStats {
  torch::Tensor loss;    // mean loss of the update's forward pass
  torch::Tensor errors;  // misclassified examples in that pass
  // PoF only (undefined otherwise): xi*, rejected flag, ||perturbation|| in classifier space, and the
  // features of the update's batch B~ (detached, before the update): the next B under feature reuse.
  torch::Tensor xi, rejected, perturbation, features;
};

// Plain step of the base optimizer on all the optimizer's parameters.
StepStats StandardStep(ModelImpl& model, Sgd& optimizer, const Batch& batch);

// SAM (Foret et al. 2021): ascend by rho along the normalised gradient of all parameters, take the
// gradient there (BN running statistics frozen), restore the weights exactly, step the base optimizer.
// `backup` holds the weights meanwhile; its tensors are kept and reused by the next step.
StepStats SamStep(ModelImpl& model, Sgd& optimizer, const Batch& batch, double rho, std::vector<torch::Tensor>& backup);

// The ascent alone, for tests and analyses: returns the weights' displacement e_w (already applied).
std::vector<torch::Tensor> SamAscend(ModelImpl& model, const std::vector<torch::Tensor>& params, const Batch& batch,
                                     double rho);

struct PofOptions {
  LineSearchOptions line_search;
};

// Step 1 of a PoF iteration: features of B in training mode, without a graph or a BN statistics update.
torch::Tensor WeakFeatures(ModelImpl& model, const Batch& weak);

// Steps 2-6 of a PoF iteration on B's features (from WeakFeatures, or the previous iteration's
// StepStats::features under feature reuse): line search, classifier perturbed by gamma * xi* along -g,
// forward/backward on `regular` with it, base-optimizer step on phi. The classifier is never written.
StepStats PofStep(ModelImpl& model, Sgd& feature_optimizer, const torch::Tensor& weak_features,
                  const torch::Tensor& weak_labels, const Batch& regular, const torch::Tensor& gamma,
                  const PofOptions& options);

}  // namespace pof
