#include "optim/sgd.h"
#include <cmath>
#include <string>
#include "errors.h"

namespace pof {

void SgdOptions::Validate() const {
  auto check = [](const char* name, double v, double max) {
    if (!std::isfinite(v) || v < 0 || v > max) {
      throw UserError(std::string("optimizer: ") + name + " must be a finite number in [0, " +
                      (max == 1 ? "1" : "inf") + "], got " + std::to_string(v));
    }
  };
  check("lr", lr, HUGE_VAL);
  check("momentum", momentum, 1);
  check("weightDecay", weight_decay, HUGE_VAL);
}

Sgd::Sgd(std::vector<torch::Tensor> params, SgdOptions opts) : options(opts), params_(std::move(params)) {
  options.Validate();
  for (const auto& p : params_) buffers_.push_back(torch::zeros_like(p));
}

void Sgd::ZeroGrad() {
  for (auto& p : params_) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

void Sgd::Step() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params, grads, buffers;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    params.push_back(params_[i]);
    grads.push_back(params_[i].grad().clone());  // the update must not alter .grad itself
    buffers.push_back(buffers_[i]);
  }
  if (params.empty()) return;
  if (options.weight_decay != 0) at::_foreach_add_(grads, params, options.weight_decay);
  if (options.momentum != 0) {
    // A zero buffer makes the first step buf = g, as torch.optim.SGD does.
    at::_foreach_mul_(buffers, options.momentum);
    at::_foreach_add_(buffers, grads);
    if (options.nesterov) {
      at::_foreach_add_(grads, buffers, options.momentum);
    } else {
      grads = buffers;
    }
  }
  at::_foreach_add_(params, grads, -options.lr);
}

}  // namespace pof
