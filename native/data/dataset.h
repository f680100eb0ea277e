// A whole split resident on the training device: one uint8 (or float32) tensor plus labels.
// Batches are gathered, converted, normalised and augmented there.
#pragma once
#include <torch/torch.h>
#include "data/augment.h"
#include "data/batch.h"

namespace pof {

struct DeviceDataset {
  torch::Tensor inputs;  // uint8 [N, C, H, W] or float32 [N, ...]
  torch::Tensor labels;  // int64 [N]
  torch::Tensor mean, std;  // float32 [1, C, 1, 1] on the device (uint8 images only)
  AugmentOptions augment;
  int64_t num_classes = 0;
  int64_t max_label = -1;  // the largest label present (-1 when empty): checked against the model's classes

  int64_t size() const { return inputs.size(0); }
  bool is_image() const { return inputs.scalar_type() == torch::kUInt8; }
  // Examples at `indices` (int64 on the device); augmented when `train`, with the draws of `shard`'s
  // global batch (data parallel).
  Batch Gather(const torch::Tensor& indices, bool train, at::Generator& generator, const Shard& shard = {}) const;
  // The same dataset on another device (no copy when already there).
  DeviceDataset To(const torch::Device& device) const;
};

}  // namespace pof
