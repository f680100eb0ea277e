#include "models/batch_norm.h"

namespace pof {

namespace {
thread_local bool stats_frozen = false;
}

FreezeBatchNormStats::FreezeBatchNormStats() : previous_(stats_frozen) { stats_frozen = true; }
FreezeBatchNormStats::~FreezeBatchNormStats() { stats_frozen = previous_; }
bool FreezeBatchNormStats::Active() { return stats_frozen; }

BatchNormImpl::BatchNormImpl(int64_t channels, double momentum, double eps) : momentum_(momentum), eps_(eps) {
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
  running_mean = register_buffer("running_mean", torch::zeros({channels}));
  running_var = register_buffer("running_var", torch::ones({channels}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

torch::Tensor BatchNormImpl::forward(const torch::Tensor& x) {
  const bool batch_stats = is_training();
  const bool update = batch_stats && !FreezeBatchNormStats::Active();
  if (update) {
    torch::NoGradGuard no_grad;
    num_batches_tracked.add_(1);
  }
  // Undefined running tensors in training mode: normalise with batch statistics, update nothing.
  return torch::batch_norm(x, weight, bias, update || !batch_stats ? running_mean : torch::Tensor(),
                           update || !batch_stats ? running_var : torch::Tensor(), batch_stats, momentum_, eps_,
                           /*cudnn_enabled=*/true);
}

}  // namespace pof
