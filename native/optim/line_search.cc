#include "optim/line_search.h"
#include <cmath>
#include <string>
#include "errors.h"
#include "js_args.h"

namespace pof {

namespace {

// Mean cross entropy of logits z0 - s * dz for every s in steps: [K] losses.
torch::Tensor LossesAlong(const torch::Tensor& z0, const torch::Tensor& dz, const torch::Tensor& labels,
                          const torch::Tensor& steps, const CrossRank& ranks) {
  auto logits = z0.unsqueeze(0) - steps.view({-1, 1, 1}) * dz.unsqueeze(0);  // [K, B, C]
  auto log_probs = torch::log_softmax(logits, -1);
  auto picked = log_probs.gather(2, labels.view({1, -1, 1}).expand({steps.size(0), -1, 1})).squeeze(2);
  return ranks.Mean(-picked, 1);
}

}  // namespace

void LineSearchOptions::Validate() const {
  if (!std::isfinite(initial_step) || initial_step <= 0) {
    throw UserError("line search: initialStep must be a finite number > 0, got " + std::to_string(initial_step));
  }
  if (!std::isfinite(max_step) || max_step <= initial_step) {
    throw UserError("line search: maxStep must be a finite number > initialStep (" + std::to_string(initial_step) + "), got " +
                    std::to_string(max_step));
  }
  if (std::log2(max_step / initial_step) > kMaxDoublings) {
    throw UserError("line search: maxStep / initialStep must be at most 2^" + std::to_string(kMaxDoublings) +
                    " (the bracket doubles the step up to sMax), got " + std::to_string(max_step / initial_step));
  }
  if (partitions < 1 || partitions > kMaxPartitions) {
    throw UserError("line search: partitions must be an integer in 1.." + std::to_string(kMaxPartitions) + ", got " +
                    std::to_string(partitions));
  }
}

LineSearchOptions ParseLineSearchOptions(const Napi::Object& o) {
  LineSearchOptions options;
  options.initial_step = NumberField(o, "initialStep");
  options.max_step = NumberField(o, "maxStep");
  options.partitions = IntField(o, "partitions");
  options.Validate();
  return options;
}

LineSearchResult LineSearch(const torch::Tensor& features, const torch::Tensor& labels, const torch::Tensor& weight,
                            const torch::Tensor& bias, const LineSearchOptions& options, const CrossRank& ranks) {
  options.Validate();
  torch::NoGradGuard no_grad;
  // Float32 even under autocast: the bracket compares losses that differ in late digits.
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  const auto f = features.detach().to(torch::kFloat32);
  const auto w = weight.detach().to(torch::kFloat32);
  // A Linear without a bias has a fixed zero one: not part of theta, so no gradient for it.
  const bool has_bias = bias.defined();
  const auto b = has_bias ? bias.detach().to(torch::kFloat32) : torch::zeros({w.size(0)}, w.options());
  const int64_t batch = f.size(0);
  LineSearchResult r;

  // Closed-form gradient of the mean cross entropy of a Linear layer.
  auto z0 = torch::addmm(b, f, w.t());
  auto probs = torch::softmax(z0, -1);
  // scatter_, not one_hot: one_hot reads the labels' min and max back to the host.
  auto delta = probs.scatter_add(1, labels.view({-1, 1}), torch::full({batch, 1}, -1.0, probs.options()));
  delta.div_(static_cast<double>(batch * ranks.world_size()));
  r.grad_weight = delta.t().mm(f);
  r.grad_bias = has_bias ? delta.sum(0) : torch::zeros_like(b);
  ranks.Sum({r.grad_weight, r.grad_bias});
  r.grad_norm = (r.grad_weight.square().sum() + r.grad_bias.square().sum()).sqrt();
  r.loss = ranks.Mean(-torch::log_softmax(z0, -1).gather(1, labels.view({-1, 1})).squeeze(1), 0);

  // Logits move along dz as s grows: z(s) = z0 - s * (f gW^T + gb).
  auto dz = torch::addmm(r.grad_bias, f, r.grad_weight.t());

  // Bracket: s0, 2 s0, 4 s0, ... while s < sMax; the first step whose loss exceeds L(theta0) wins.
  // Built on the device (a host-to-device copy would make the host wait for the device).
  int64_t doublings = 0;
  for (double s = options.initial_step; s < options.max_step; s *= 2) ++doublings;
  auto opts = f.options();
  auto bracket_steps = torch::pow(2.0, torch::arange(doublings, opts)).mul_(options.initial_step);
  auto rises = LossesAlong(z0, dz, labels, bracket_steps, ranks) > r.loss;
  r.rejected = rises.any().logical_not();
  // Indexing with a 0-dim tensor would read it on the host: gather keeps it on the device.
  auto first_rise = rises.to(torch::kInt32).argmax().view({1});  // 0 when none rises (then rejected)
  auto upper = bracket_steps.gather(0, first_rise);

  // Grid: s_k = k * upper / P, k = 1..P; s* is the grid argmin.
  auto fractions = torch::arange(1, options.partitions + 1, opts) / static_cast<double>(options.partitions);
  auto grid = fractions * upper;
  auto best = LossesAlong(z0, dz, labels, grid, ranks).argmin().view({1});
  r.step = grid.gather(0, best).squeeze(0) * r.rejected.logical_not().to(opts.dtype());
  r.xi = r.step * r.grad_norm;
  return r;
}

}  // namespace pof
