#include "analysis/loss_along.h"
#include "errors.h"

namespace pof {

namespace {

// Keeps copies of parameters and writes them back on destruction.
class RestoreParameters {
 public:
  explicit RestoreParameters(const std::vector<torch::Tensor>& parameters) : parameters_(parameters) {
    torch::NoGradGuard no_grad;
    for (const auto& p : parameters_) saved_.push_back(p.detach().clone());
  }
  ~RestoreParameters() {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < parameters_.size(); ++i) parameters_[i].copy_(saved_[i]);
  }
  const std::vector<torch::Tensor>& saved() const { return saved_; }

 private:
  std::vector<torch::Tensor> parameters_, saved_;
};

}  // namespace

torch::Tensor LossAlong(SubsetLoss& loss, const torch::Tensor& directions, const std::vector<double>& steps) {
  const auto& subset = loss.subset();
  if (directions.dim() != 2 || directions.size(1) != subset.numel) {
    throw UserError("directions must be [count, " + std::to_string(subset.numel) + "] for this parameter subset, got " +
                    c10::str(directions.sizes()));
  }
  if (steps.empty()) throw UserError("the grid of steps t must not be empty");
  RestoreParameters restore(subset.parameters);
  const auto device = subset.parameters.front().device();
  auto values = torch::zeros({directions.size(0), static_cast<int64_t>(steps.size())},
                             torch::TensorOptions().dtype(torch::kFloat64).device(device));
  torch::NoGradGuard no_grad;
  for (int64_t d = 0; d < directions.size(0); ++d) {
    const auto parts = subset.Unflatten(directions[d].to(device, torch::kFloat64));
    for (size_t s = 0; s < steps.size(); ++s) {
      // w0 + t d from the saved w0 each time: no drift from repeated additions.
      for (size_t i = 0; i < parts.size(); ++i) subset.parameters[i].copy_(restore.saved()[i] + steps[s] * parts[i]);
      values[d][static_cast<int64_t>(s)].copy_(loss.Value());
    }
  }
  return values.cpu();
}

}  // namespace pof
