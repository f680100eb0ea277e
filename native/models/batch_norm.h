// BatchNorm whose running statistics can be frozen for a pass (PoF's feature pass, SAM's second pass).
#pragma once
#include <torch/torch.h>

namespace pof {

// While one lives on this thread, BatchNorm layers in training mode still normalise with batch
// statistics but leave their running statistics untouched.
class FreezeBatchNormStats {
 public:
  FreezeBatchNormStats();
  ~FreezeBatchNormStats();
  FreezeBatchNormStats(const FreezeBatchNormStats&) = delete;
  FreezeBatchNormStats& operator=(const FreezeBatchNormStats&) = delete;
  static bool Active();

 private:
  bool previous_;
};

// Same parameters and buffers as torch.nn.BatchNorm2d (weight, bias, running_mean, running_var,
// num_batches_tracked), so that PyTorch checkpoints map one to one.
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
