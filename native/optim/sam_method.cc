#include "optim/sam_method.h"
#include "js_args.h"
#include "models/freeze_batch_norm_stats.h"

namespace pof {

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

std::vector<torch::Tensor> SamAscend(Network& network, const std::vector<torch::Tensor>& params, const Batch& batch,
                                     double rho) {
  auto loss = torch::cross_entropy_loss(network.Forward(batch.inputs), batch.labels);
  return Ascend(params, GradientsOf(loss, params), rho);
}

StepStats SamMethod::Step(Network& network, Sgd& optimizer, const StepInput& input) {
  const Batch& batch = input.regular;
  const auto& params = optimizer.params();
  {
    torch::NoGradGuard no_grad;
    if (backup_.size() != params.size()) backup_.assign(params.size(), torch::Tensor());
    for (size_t i = 0; i < params.size(); ++i) {
      if (!backup_[i].defined() || backup_[i].sizes() != params[i].sizes()) backup_[i] = torch::empty_like(params[i]);
      backup_[i].copy_(params[i]);
    }
  }
  // First pass (BN running statistics are updated here only); its loss is the one reported.
  torch::Tensor loss;
  StepStats stats = LossAndErrors(network.Forward(batch.inputs), batch.labels, &loss);
  std::vector<torch::Tensor> grads = GradientsOf(loss, params);
  if (!options.local_ascent) input.ranks.Average(grads);  // e_w of the global batch: exactly single-process SAM
  Ascend(params, grads, options.rho);
  optimizer.ZeroGrad();
  {
    FreezeBatchNormStats frozen(network, snapshot_);
    torch::cross_entropy_loss(network.Forward(batch.inputs), batch.labels).backward();
  }
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(backup_[i]);  // exact restore
  }
  StepWithHook(optimizer, input.gradient_hook);
  return stats;
}

void SamOptions::Validate(int64_t) const { CheckFiniteNonNegative("rho", rho); }

TrainingMethod& SamOptions::Configure(std::unique_ptr<TrainingMethod>& current) const {
  auto& sam = Reuse<SamMethod>(current);
  sam.options = *this;
  return sam;
}

std::shared_ptr<const MethodOptions> ParseSamOptions(const Napi::Object& o) {
  auto options = std::make_shared<SamOptions>();
  options->rho = NumberField(o, "rho");
  options->local_ascent = BoolField(o, "localAscent");
  return options;
}

}  // namespace pof
