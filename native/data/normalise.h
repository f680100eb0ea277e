// Pixels to the model's inputs: (x / 255 - mean[c]) / std[c] in float32.
#pragma once
#include <torch/torch.h>

namespace pof {

// `images` [B, C, H, W] (uint8, or float on the 0..255 scale after a resize on CUDA); mean and std [1, C, 1, 1].
// On the CPU, uint8 goes through a 256-entry table per channel made by the same float32 ops: the same bits
// in one pass over the batch instead of four.
torch::Tensor Normalise(const torch::Tensor& images, const torch::Tensor& mean, const torch::Tensor& std);

}  // namespace pof
