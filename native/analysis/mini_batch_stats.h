// Per-mini-batch quantities of the paper's analyses, for many batches in one native call:
// the loss L_B, the gradient norm ||g_B|| in a parameter subset, the curvature along the normalised
// gradient ĝᵀ H_B ĝ (Fig. 5), projections of g_B onto given directions (Fig. 2a) and PoF's line
// search ξ*_B on the batch's features (Fig. 2b, 6).
#pragma once
#include <torch/torch.h>
#include <optional>
#include <vector>
#include "analysis/parameter_subset.h"
#include "optim/line_search.h"
#include "data/dataset.h"

namespace pof {

struct MiniBatchOptions {
  bool curvature;            // ĝᵀ H_B ĝ per batch
  torch::Tensor directions;  // optional [k, subset numel]: projections v_iᵀ g_B
  std::optional<LineSearchOptions> line_search;
};

struct MiniBatchStats {
  torch::Tensor loss, grad_norm, curvature;  // [batches] float64 on the CPU (curvature when asked)
  torch::Tensor projections;                 // [batches, k] float64 on the CPU (when directions given)
  torch::Tensor xi, rejected;                // [batches] float64 on the CPU (with line_search; rejected 0/1)
};

// indices: [batches * batch_size] int64, batch b = indices[b*batch_size, (b+1)*batch_size).
// Evaluation mode, no augmentation; the model is left unchanged.
MiniBatchStats MiniBatchStatistics(Network& model, const std::vector<std::string>& subset, const DeviceDataset& data,
                                   const torch::Tensor& indices, int64_t batch_size, const MiniBatchOptions& options);

}  // namespace pof
