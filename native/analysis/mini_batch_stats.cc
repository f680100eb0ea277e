#include "analysis/mini_batch_stats.h"
#include "analysis/subset_loss.h"
#include "errors.h"
#include "random.h"

namespace pof {

MiniBatchStats MiniBatchStatistics(Network& model, const std::vector<std::string>& selectors, const DeviceDataset& data,
                                   const torch::Tensor& indices, int64_t batch_size, const MiniBatchOptions& options) {
  if (batch_size < 1 || indices.numel() == 0 || indices.numel() % batch_size != 0) {
    throw UserError("mini-batch indices must hold a whole number of batches of batchSize >= 1 (got " +
                    std::to_string(indices.numel()) + " indices, batchSize " + std::to_string(batch_size) + ")");
  }
  const auto subset = SelectParameters(model, selectors);
  const auto device = data.device();
  torch::Tensor directions;
  if (options.directions.defined()) {
    if (options.directions.dim() != 2 || options.directions.size(1) != subset.numel) {
      throw UserError("directions must be [count, " + std::to_string(subset.numel) + "] for this parameter subset, got " +
                      c10::str(options.directions.sizes()));
    }
    directions = options.directions.to(device, torch::kFloat64);
  }
  std::vector<torch::Tensor> losses, norms, curvatures, projections, xis, rejections;
  auto unused_generator = MakeGenerator(torch::kCPU, 0);
  for (const auto& batch : indices.to(device, torch::kLong).split(batch_size)) {
    SubsetLoss loss(model, subset, data, batch, batch_size);
    auto [value, gradient] = loss.ValueAndGradient();
    auto norm = gradient.norm();
    losses.push_back(value), norms.push_back(norm);
    if (options.curvature) {
      // ĝᵀ H_B ĝ with ĝ = g/||g|| (0 for a zero gradient, where no direction is defined).
      auto unit = gradient / norm.clamp_min(1e-300);
      curvatures.push_back(unit.dot(loss.HessianVectorProduct(unit)));
    }
    if (directions.defined()) projections.push_back(directions.mv(gradient));
    if (options.line_search) {
      // On evaluation-mode features, like the other statistics here (PoF itself uses batch statistics).
      EvalMode eval_mode(model);
      torch::NoGradGuard no_grad;
      Batch b = data.Gather(batch, false, unused_generator);
      auto search = LineSearch(model.Features(b.inputs), b.labels, model.ClassifierWeight(), model.ClassifierBias(),
                               *options.line_search);
      xis.push_back(search.xi.to(torch::kFloat64));
      rejections.push_back(search.rejected.to(torch::kFloat64));
    }
  }
  // One host transfer for all batches.
  MiniBatchStats out;
  out.loss = torch::stack(losses).cpu();
  out.grad_norm = torch::stack(norms).cpu();
  if (options.curvature) out.curvature = torch::stack(curvatures).cpu();
  if (directions.defined()) out.projections = torch::stack(projections).cpu();
  if (options.line_search) out.xi = torch::stack(xis).cpu(), out.rejected = torch::stack(rejections).cpu();
  return out;
}

}  // namespace pof
