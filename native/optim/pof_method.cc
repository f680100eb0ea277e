#include "optim/pof_method.h"
#include <ATen/record_function.h>
#include "js_args.h"
#include "models/freeze_batch_norm_stats.h"

namespace pof {

torch::Tensor PofMethod::Gamma(const StepInput& input, const torch::TensorOptions& opts) const {
  switch (options.gamma_mode) {
    case GammaMode::kUniform: return torch::rand({}, *input.generator, opts) * options.gamma;
    case GammaMode::kLinear: return torch::full({}, options.gamma * input.schedule_fraction, opts);
    case GammaMode::kFixed: break;
  }
  return torch::full({}, options.gamma, opts);
}

StepStats PofMethod::Step(Network& network, Sgd& feature_optimizer, const StepInput& input) {
  // gamma is drawn first, before B and its augmentation: that order of the generator's draws is part
  // of what a seed (and a resumed checkpoint) reproduces.
  const auto scalar_options = torch::TensorOptions().dtype(torch::kFloat32).device(input.regular.labels.device());
  const torch::Tensor gamma = Gamma(input, scalar_options);
  // 1. B and its features F_phi(x_B): training mode, no graph, BN running statistics untouched.
  //    Under feature reuse, B is the previous iteration's B~ with the features computed then.
  torch::Tensor weak_features, weak_labels;
  if (options.feature_reuse && carried_features_.defined()) {
    weak_features = carried_features_, weak_labels = carried_labels_;
  } else {
    const Batch weak = input.draw_weak();
    RECORD_USER_SCOPE("pof::features_of_B");
    torch::NoGradGuard no_grad;
    FreezeBatchNormStats frozen(network, snapshot_);
    weak_features = network.Features(weak.inputs), weak_labels = weak.labels;
  }
  // 2-4. Classifier gradient g, line search for xi*, theta' = theta0 - gamma * xi* * g/||g||
  //      = theta0 - gamma * s* * g (theta0 itself when rejected), all on the device.
  const torch::Tensor theta_weight = network.ClassifierWeight(), theta_bias = network.ClassifierBias();
  LineSearchResult search;
  torch::Tensor weight, bias, scale;
  {
    RECORD_USER_SCOPE("pof::line_search_and_perturb");
    search = LineSearch(weak_features, weak_labels, theta_weight, theta_bias, options.line_search, input.ranks);
    torch::NoGradGuard no_grad;
    scale = gamma * search.step;
    weight = theta_weight.detach() - scale * search.grad_weight;
    if (theta_bias.defined()) bias = theta_bias.detach() - scale * search.grad_bias;  // else none: a fixed zero
  }
  // 5. Forward/backward on B~ with the perturbed classifier, then the base optimizer's step on phi.
  feature_optimizer.ZeroGrad();
  torch::Tensor features, loss;
  StepStats stats;
  {
    RECORD_USER_SCOPE("pof::forward_backward_on_B~");
    features = network.Features(input.regular.inputs);
    stats = LossAndErrors(torch::nn::functional::linear(features, weight, bias), input.regular.labels, &loss);
    loss.backward();
  }
  {
    RECORD_USER_SCOPE("pof::optimizer_step");
    StepWithHook(feature_optimizer, input.gradient_hook);
  }
  // 6. theta0 was never written. B~'s features are the next B under feature reuse.
  stats.xi = search.xi;
  stats.rejected = search.rejected;
  stats.perturbation = scale * search.grad_norm;
  carried_features_ = features.detach(), carried_labels_ = input.regular.labels;
  return stats;
}

void PofOptions::Validate(int64_t batch_size) const {
  CheckAtLeast("weakBatchSize", weak_batch_size, 1);
  CheckFiniteNonNegative("gamma", gamma);
  if (feature_reuse && weak_batch_size != batch_size) {
    throw UserError("featureReuse takes B from the previous B~, so weakBatchSize (" + std::to_string(weak_batch_size) +
                    ") must equal batchSize (" + std::to_string(batch_size) + ")");
  }
  line_search.Validate();
}

void PofOptions::CheckOptimizer(bool features_only) const {
  if (!features_only) {
    throw UserError("PoF updates the feature extractor only: configure the optimizer with features only");
  }
}

TrainingMethod& PofOptions::Configure(std::unique_ptr<TrainingMethod>& current) const {
  auto& pof = Reuse<PofMethod>(current);
  pof.options = *this;
  return pof;
}

std::shared_ptr<const MethodOptions> ParsePofOptions(const Napi::Object& o) {
  auto options = std::make_shared<PofOptions>();
  options->gamma = NumberField(o, "gamma");
  const std::string mode = StringField(o, "gammaMode");
  if (mode == "fixed") options->gamma_mode = GammaMode::kFixed;
  else if (mode == "uniform") options->gamma_mode = GammaMode::kUniform;
  else if (mode == "linear") options->gamma_mode = GammaMode::kLinear;
  else throw UserError("gammaMode '" + mode + "' is unknown; expected 'fixed', 'uniform' or 'linear'");
  options->weak_batch_size = IntField(o, "weakBatchSize");
  options->feature_reuse = BoolField(o, "featureReuse");
  options->line_search = ParseLineSearchOptions(o);
  return options;
}

}  // namespace pof
