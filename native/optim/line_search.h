// PoF's line search for xi*_B along the negative mini-batch gradient of a Linear classifier,
// vectorised: logits are affine in the step s, so every candidate comes from two matrix products.
#pragma once
#include <napi.h>
#include <torch/torch.h>
#include "distributed/cross_rank.h"

namespace pof {

struct LineSearchOptions {
  double initial_step;  // s0
  double max_step;      // sMax: no loss increase before it means reject
  int64_t partitions;   // P grid points in (0, s]

  // 0 < s0 < sMax (finite), at most kMaxDoublings bracket steps, 1 <= P <= kMaxPartitions.
  void Validate() const;
  static constexpr int64_t kMaxDoublings = 64;
  static constexpr int64_t kMaxPartitions = 1024;  // the grid's losses are [P, B, C]: bounded memory
};

// { initialStep, maxStep, partitions }, every field given (lib/defaults.ts resolves them), validated.
LineSearchOptions ParseLineSearchOptions(const Napi::Object& o);

// All results are tensors on the features' device: no host synchronisation.
struct LineSearchResult {
  torch::Tensor grad_weight, grad_bias;  // g = dL_B/dtheta at theta0 (mean cross entropy)
  torch::Tensor grad_norm;               // ||g||_2 over weight and bias jointly
  torch::Tensor step;                    // s*: argmin over the grid (0 when rejected)
  torch::Tensor xi;                      // xi* = s* ||g||
  torch::Tensor rejected;                // bool: the loss never rose before sMax
  torch::Tensor loss;                    // L_B(theta0)
};

// Data parallel (`ranks`): features and labels are this rank's shard of B, and every sum runs over all
// shards, so every rank gets the line search of the whole B (the same xi*, step and gradient).
LineSearchResult LineSearch(const torch::Tensor& features, const torch::Tensor& labels, const torch::Tensor& weight,
                            const torch::Tensor& bias, const LineSearchOptions& options, const CrossRank& ranks = {});
// (An undefined `bias`: a Linear without one, whose fixed zero bias has no gradient.)

}  // namespace pof
