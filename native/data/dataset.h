// A whole split resident on the training device: one tensor of its declared kind plus labels.
// Batches are gathered there; pixels are also converted, normalised and augmented there.
#pragma once
#include <torch/torch.h>
#include <string>
#include "data/augment.h"
#include "data/batch.h"

namespace pof {

// What the inputs are (lib/data/types.ts DataKind): pixels uint8 [N, C, H, W] normalised to float32;
// values float32 taken as they are; tokens int64 ids >= 0 taken as they are.
enum class InputKind { kPixels, kValues, kTokens };

// 'pixels', 'values' or 'tokens' (a UserError otherwise).
InputKind ParseInputKind(const std::string& name);
std::string InputKindName(InputKind kind);
// The dtype a batch of this kind reaches the network in: int64 for tokens, float32 otherwise.
c10::ScalarType BatchDtype(InputKind kind);

struct DeviceDataset {
  InputKind kind = InputKind::kPixels;
  torch::Tensor inputs;  // uint8 [N, C, H, W] (pixels), float32 [N, ...] (values) or int64 [N, ...] (tokens)
  torch::Tensor labels;  // int64 [N]
  torch::Tensor mean, std;  // float32 [1, C, 1, 1] on the device (pixels only)
  AugmentOptions augment;
  int64_t num_classes = 0;
  int64_t max_label = -1;  // the largest label present (-1 when empty): checked against the model's classes

  int64_t size() const { return inputs.size(0); }
  // Examples at `indices` (int64 on the device); augmented when `train`, with the draws of `shard`'s
  // global batch (data parallel).
  Batch Gather(const torch::Tensor& indices, bool train, at::Generator& generator, const Shard& shard = {}) const;
  // The same dataset on another device (no copy when already there).
  DeviceDataset To(const torch::Device& device) const;
};

}  // namespace pof
