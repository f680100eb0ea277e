// SGD with momentum, Nesterov and weight decay (torch.optim.SGD semantics, dampening 0).
#pragma once
#include <torch/torch.h>
#include <vector>

namespace pof {

struct SgdOptions {
  double lr;
  double momentum;
  double weight_decay;
  bool nesterov;

  // lr and weight decay finite and >= 0, momentum in [0, 1].
  void Validate() const;
};

class Sgd {
 public:
  Sgd(std::vector<torch::Tensor> params, SgdOptions options);
  // p <- p - lr * d, with g = grad + wd * p, buf = momentum * buf + g, d = nesterov ? g + momentum * buf : buf.
  void Step();
  void ZeroGrad();
  const std::vector<torch::Tensor>& params() const { return params_; }
  std::vector<torch::Tensor>& momentum_buffers() { return buffers_; }
  SgdOptions options;

 private:
  std::vector<torch::Tensor> params_, buffers_;
};

}  // namespace pof
