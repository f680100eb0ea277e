#include "optim/line_search.h"
#include <cmath>

namespace pof {

namespace {

// Mean cross entropy of logits z0 - s * dz for every s in steps: [K] losses.
torch::Tensor LossesAlong(const torch::Tensor& z0, const torch::Tensor& dz, const torch::Tensor& labels,
                          const torch::Tensor& steps) {
  auto logits = z0.unsqueeze(0) - steps.view({-1, 1, 1}) * dz.unsqueeze(0);  // [K, B, C]
  auto log_probs = torch::log_softmax(logits, -1);
  auto picked = log_probs.gather(2, labels.view({1, -1, 1}).expand({steps.size(0), -1, 1})).squeeze(2);
  return -picked.mean(1);
}

}  // namespace

LineSearchResult LineSearch(const torch::Tensor& features, const torch::Tensor& labels, const torch::Tensor& weight,
                            const torch::Tensor& bias, const LineSearchOptions& options) {
  torch::NoGradGuard no_grad;
  const auto f = features.detach().to(torch::kFloat32);
  const auto w = weight.detach().to(torch::kFloat32), b = bias.detach().to(torch::kFloat32);
  const int64_t batch = f.size(0);
  LineSearchResult r;

  // Closed-form gradient of the mean cross entropy of a Linear layer.
  auto z0 = torch::addmm(b, f, w.t());
  auto probs = torch::softmax(z0, -1);
  auto delta = probs - torch::one_hot(labels, z0.size(1)).to(probs.dtype());
  delta.div_(static_cast<double>(batch));
  r.grad_weight = delta.t().mm(f);
  r.grad_bias = delta.sum(0);
  r.grad_norm = (r.grad_weight.square().sum() + r.grad_bias.square().sum()).sqrt();
  r.loss = -torch::log_softmax(z0, -1).gather(1, labels.view({-1, 1})).mean();

  // Logits move along dz as s grows: z(s) = z0 - s * (f gW^T + gb).
  auto dz = torch::addmm(r.grad_bias, f, r.grad_weight.t());

  // Bracket: s0, 2 s0, 4 s0, ... while s < sMax; the first step whose loss exceeds L(theta0) wins.
  std::vector<float> bracket;
  for (double s = options.initial_step; s < options.max_step; s *= 2) bracket.push_back(static_cast<float>(s));
  auto opts = f.options();
  auto bracket_steps = torch::tensor(bracket).to(opts.device());
  auto rises = LossesAlong(z0, dz, labels, bracket_steps) > r.loss;
  r.rejected = rises.any().logical_not();
  auto first_rise = rises.to(torch::kInt32).argmax();  // 0 when none rises (then rejected)
  auto upper = bracket_steps.index({first_rise});

  // Grid: s_k = k * upper / P, k = 1..P; s* is the grid argmin.
  auto fractions = torch::arange(1, options.partitions + 1, opts) / static_cast<double>(options.partitions);
  auto grid = fractions * upper;
  auto best = LossesAlong(z0, dz, labels, grid).argmin();
  r.step = grid.index({best}) * r.rejected.logical_not().to(opts.dtype());
  r.xi = r.step * r.grad_norm;
  return r;
}

}  // namespace pof
