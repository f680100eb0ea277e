// The mean cross entropy over a fixed set of examples as a function of one parameter subset, with
// its gradient and Hessian-vector products (double backprop). Examples are processed in chunks and
// the results accumulated, so whole training sets fit in memory.
//
// The model runs in evaluation mode (BatchNorm with running statistics, no augmentation) for the
// object's lifetime: the loss is then a fixed function of the parameters and sums exactly over
// chunks. The model computes in its own precision (float32); gradients, Hessian-vector products and
// losses are accumulated over chunks in float64.
#pragma once
#include <torch/torch.h>
#include <vector>
#include "analysis/parameter_subset.h"
#include "data/dataset.h"

namespace pof {

// Puts a network in evaluation mode and restores its previous mode on destruction.
class EvalMode {
 public:
  explicit EvalMode(Network& network) : network_(network), was_training_(network.IsTraining()) {
    network_.SetTraining(false);
  }
  ~EvalMode() { network_.SetTraining(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  Network& network_;
  bool was_training_;
};


class SubsetLoss {
 public:
  // `indices`: int64 example indices on any device; `chunk_size`: examples per forward pass.
  SubsetLoss(Network& model, ParameterSubset subset, const DeviceDataset& data, const torch::Tensor& indices,
             int64_t chunk_size);

  const ParameterSubset& subset() const { return subset_; }
  int64_t examples() const { return examples_; }

  // L(w): float64 scalar on the device, no graph.
  torch::Tensor Value();
  // L(w) and dL/dw_subset (flat float64).
  std::pair<torch::Tensor, torch::Tensor> ValueAndGradient();
  // H v for the subset's Hessian block; v and the result are flat float64.
  torch::Tensor HessianVectorProduct(const torch::Tensor& v);

 private:
  // The chunk's share of L: its summed cross entropy / examples(), with a graph to the subset.
  torch::Tensor ChunkLoss(size_t chunk);

  EvalMode eval_mode_;
  Network& model_;
  ParameterSubset subset_;
  const DeviceDataset& data_;
  std::vector<torch::Tensor> chunk_indices_;
  // A classifier-only subset leaves the features unchanged: they are computed once, without a graph.
  std::vector<torch::Tensor> cached_features_, cached_labels_;
  int64_t examples_ = 0;
  at::Generator unused_generator_;  // Gather needs one; without augmentation it draws nothing
};

}  // namespace pof
