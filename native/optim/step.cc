#include "optim/step.h"
#include "models/batch_norm.h"
#include <ATen/record_function.h>

namespace pof {

namespace {

StepStats LossAndErrors(const torch::Tensor& logits, const torch::Tensor& labels, torch::Tensor* loss_out) {
  *loss_out = torch::cross_entropy_loss(logits, labels);
  StepStats stats;
  stats.loss = loss_out->detach();
  stats.errors = logits.detach().argmax(1).ne(labels).sum();
  return stats;
}

}  // namespace

StepStats StandardStep(ModelImpl& model, Sgd& optimizer, const Batch& batch) {
  optimizer.ZeroGrad();
  torch::Tensor loss;
  StepStats stats = LossAndErrors(model.forward(batch.inputs), batch.labels, &loss);
  loss.backward();
  optimizer.Step();
  return stats;
}

namespace {

// e_w = rho * g / ||g|| (the norm over all parameters jointly), added to the parameters; returns e_w.
std::vector<torch::Tensor> Ascend(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& grads,
                                  double rho) {
  torch::NoGradGuard no_grad;
  auto norm_sq = torch::zeros({}, params.front().options());
  for (const auto& g : grads) {
    if (g.defined()) norm_sq = norm_sq + g.square().sum();
  }
  auto scale = rho / (norm_sq.sqrt() + 1e-12);
  std::vector<torch::Tensor> displacement;
  for (size_t i = 0; i < params.size(); ++i) {
    auto e = grads[i].defined() ? grads[i] * scale : torch::zeros_like(params[i]);
    params[i].add_(e);
    displacement.push_back(e);
  }
  return displacement;
}

std::vector<torch::Tensor> GradientsOf(const torch::Tensor& loss, const std::vector<torch::Tensor>& params) {
  return torch::autograd::grad({loss}, params, {}, /*retain_graph=*/false, /*create_graph=*/false,
                               /*allow_unused=*/true);
}

}  // namespace

std::vector<torch::Tensor> SamAscend(ModelImpl& model, const std::vector<torch::Tensor>& params, const Batch& batch,
                                     double rho) {
  auto loss = torch::cross_entropy_loss(model.forward(batch.inputs), batch.labels);
  return Ascend(params, GradientsOf(loss, params), rho);
}

StepStats SamStep(ModelImpl& model, Sgd& optimizer, const Batch& batch, double rho, std::vector<torch::Tensor>& backup) {
  const auto& params = optimizer.params();
  {
    torch::NoGradGuard no_grad;
    if (backup.size() != params.size()) backup.assign(params.size(), torch::Tensor());
    for (size_t i = 0; i < params.size(); ++i) {
      if (!backup[i].defined() || backup[i].sizes() != params[i].sizes()) backup[i] = torch::empty_like(params[i]);
      backup[i].copy_(params[i]);
    }
  }
  // First pass (BN running statistics are updated here only); its loss is the one reported.
  torch::Tensor loss;
  StepStats stats = LossAndErrors(model.forward(batch.inputs), batch.labels, &loss);
  Ascend(params, GradientsOf(loss, params), rho);
  optimizer.ZeroGrad();
  {
    FreezeBatchNormStats frozen;
    torch::cross_entropy_loss(model.forward(batch.inputs), batch.labels).backward();
  }
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(backup[i]);  // exact restore
  }
  optimizer.Step();
  return stats;
}

torch::Tensor WeakFeatures(ModelImpl& model, const Batch& weak) {
  RECORD_USER_SCOPE("pof::features_of_B");
  torch::NoGradGuard no_grad;
  FreezeBatchNormStats frozen;
  return model.Features(weak.inputs);
}

StepStats PofStep(ModelImpl& model, Sgd& feature_optimizer, const torch::Tensor& weak_features,
                  const torch::Tensor& weak_labels, const Batch& regular, const torch::Tensor& gamma,
                  const PofOptions& options) {
  auto& classifier = model.Classifier();
  // Steps 2-4: classifier gradient, line search and theta' = theta0 - gamma * xi* * g/||g||
  // = theta0 - gamma * s* * g (zero when rejected), all on the device.
  LineSearchResult search;
  torch::Tensor weight, bias, scale;
  {
    RECORD_USER_SCOPE("pof::line_search_and_perturb");
    search = LineSearch(weak_features, weak_labels, classifier->weight, classifier->bias, options.line_search);
    torch::NoGradGuard no_grad;
    scale = gamma * search.step;
    weight = classifier->weight.detach() - scale * search.grad_weight;
    bias = classifier->bias.detach() - scale * search.grad_bias;
  }
  // Step 5: forward/backward on B~ with the perturbed classifier; update phi only.
  feature_optimizer.ZeroGrad();
  torch::Tensor features, loss;
  StepStats stats;
  {
    RECORD_USER_SCOPE("pof::forward_backward_on_B~");
    features = model.Features(regular.inputs);
    stats = LossAndErrors(torch::nn::functional::linear(features, weight, bias), regular.labels, &loss);
    loss.backward();
  }
  {
    RECORD_USER_SCOPE("pof::optimizer_step");
    feature_optimizer.Step();
  }
  // Step 6: theta0 was never written.
  stats.xi = search.xi;
  stats.rejected = search.rejected;
  stats.perturbation = scale * search.grad_norm;
  stats.features = features.detach();
  return stats;
}

}  // namespace pof
