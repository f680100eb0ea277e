// Leaves a network's BatchNorm running statistics exactly as they were across a pass (PoF's feature
// pass on B, SAM's second pass), for any network: the pass runs as a normal training-mode pass, and
// every buffer (running_mean, running_var, num_batches_tracked, ...) is saved on construction and
// copied back into the same tensors on destruction, on the device (no host synchronisation).
// A pass with backward must finish its backward inside the scope: the graph holds the buffers.
#pragma once
#include <torch/torch.h>
#include <vector>
#include "models/network.h"

namespace pof {

class FreezeBatchNormStats {
 public:
  explicit FreezeBatchNormStats(const Network& network);
  ~FreezeBatchNormStats();
  FreezeBatchNormStats(const FreezeBatchNormStats&) = delete;
  FreezeBatchNormStats& operator=(const FreezeBatchNormStats&) = delete;

 private:
  std::vector<torch::Tensor> buffers_, saved_;
};

}  // namespace pof
