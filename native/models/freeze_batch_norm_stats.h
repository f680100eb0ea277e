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

// Where the saved buffers live: allocated on the first freeze, reused by every later one (a training
// method keeps one, so a step copies into it instead of allocating a clone of every buffer).
struct BufferSnapshot {
  std::vector<torch::Tensor> buffers, saved;
};

class FreezeBatchNormStats {
 public:
  FreezeBatchNormStats(const Network& network, BufferSnapshot& snapshot);
  ~FreezeBatchNormStats();
  FreezeBatchNormStats(const FreezeBatchNormStats&) = delete;
  FreezeBatchNormStats& operator=(const FreezeBatchNormStats&) = delete;

 private:
  BufferSnapshot& snapshot_;
};

}  // namespace pof
