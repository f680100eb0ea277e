// The built-in WideResNet's BatchNorm: the same parameters and buffers as torch.nn.BatchNorm2d
// (weight, bias, running_mean, running_var, num_batches_tracked), so that PyTorch checkpoints map
// one to one. Passes that must leave the statistics alone use FreezeBatchNormStats.
#pragma once
#include <torch/torch.h>

namespace pof {

class BatchNormImpl : public torch::nn::Module {
 public:
  explicit BatchNormImpl(int64_t channels, double momentum = 0.1, double eps = 1e-5);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  double momentum_, eps_;
};
TORCH_MODULE(BatchNorm);

}  // namespace pof
