#include "analysis/subset_loss.h"
#include "device.h"
#include "errors.h"
#include "random.h"

namespace pof {

SubsetLoss::SubsetLoss(Network& model, ParameterSubset subset, const DeviceDataset& data, const torch::Tensor& indices,
                       int64_t chunk_size)
    : eval_mode_(model), model_(model), subset_(std::move(subset)), data_(data),
      unused_generator_(MakeGenerator(torch::kCPU, 0)) {
  if (chunk_size < 1) throw UserError("chunkSize must be >= 1, got " + std::to_string(chunk_size));
  const auto device = data.device();
  auto idx = indices.to(device, torch::kLong);
  examples_ = idx.numel();
  if (examples_ == 0) throw UserError("the loss needs at least one example");
  chunk_indices_ = idx.split(chunk_size);
  if (subset_.classifier_only) {
    torch::NoGradGuard no_grad;
    for (const auto& chunk : chunk_indices_) {
      Batch b = data_.Gather(chunk, false, unused_generator_);
      cached_features_.push_back(model_.Features(b.inputs));
      cached_labels_.push_back(b.labels);
    }
  }
}

torch::Tensor SubsetLoss::ChunkLoss(size_t chunk) {
  torch::Tensor logits, labels;
  if (subset_.classifier_only) {
    logits = torch::nn::functional::linear(cached_features_[chunk], model_.ClassifierWeight(), model_.ClassifierBias());
    labels = cached_labels_[chunk];
  } else {
    Batch b = data_.Gather(chunk_indices_[chunk], false, unused_generator_);
    logits = model_.Forward(b.inputs);
    labels = b.labels;
  }
  return torch::cross_entropy_loss(logits, labels, {}, at::Reduction::Sum) / static_cast<double>(examples_);
}

torch::Tensor SubsetLoss::Value() {
  torch::NoGradGuard no_grad;
  auto total = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(data_.device()));
  for (size_t c = 0; c < chunk_indices_.size(); ++c) total += ChunkLoss(c).to(torch::kFloat64);
  return total;
}

std::pair<torch::Tensor, torch::Tensor> SubsetLoss::ValueAndGradient() {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(data_.device());
  auto total = torch::zeros({}, opts), gradient = torch::zeros({subset_.numel}, opts);
  for (size_t c = 0; c < chunk_indices_.size(); ++c) {
    auto loss = ChunkLoss(c);
    auto grads = torch::autograd::grad({loss}, subset_.parameters, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                       /*allow_unused=*/true);
    total += loss.detach().to(torch::kFloat64);
    gradient += subset_.Flatten(grads, torch::kFloat64);
  }
  return {total, gradient};
}

torch::Tensor SubsetLoss::HessianVectorProduct(const torch::Tensor& v) {
  if (v.dim() != 1 || v.numel() != subset_.numel) {
    throw UserError("the vector has " + std::to_string(v.numel()) + " elements but the parameter subset " +
                    std::to_string(subset_.numel));
  }
  const auto parts = subset_.Unflatten(v.to(data_.device()));
  auto out = torch::zeros({subset_.numel}, torch::TensorOptions().dtype(torch::kFloat64).device(data_.device()));
  for (size_t c = 0; c < chunk_indices_.size(); ++c) {
    auto loss = ChunkLoss(c);
    auto grads = torch::autograd::grad({loss}, subset_.parameters, {}, /*retain_graph=*/true, /*create_graph=*/true,
                                       /*allow_unused=*/true);
    // d/dw (g(w) . v) = H v: the second backward pass.
    torch::Tensor dot;
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined() || !grads[i].requires_grad()) continue;  // this block of H is zero
      auto term = (grads[i] * parts[i]).sum();
      dot = dot.defined() ? dot + term : term;
    }
    if (!dot.defined()) continue;
    auto hv = torch::autograd::grad({dot}, subset_.parameters, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                    /*allow_unused=*/true);
    out += subset_.Flatten(hv, torch::kFloat64);
  }
  return out;
}

}  // namespace pof
