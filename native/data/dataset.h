// A split for training and evaluation: its inputs (resident on the device, or stored in a file and read a
// batch at a time: ExampleRows) and its labels on the device. Batches are gathered, converted, normalised and
// (pixels) augmented on the device, the same way wherever the inputs live.
#pragma once
#include <torch/torch.h>
#include <string>
#include "data/augment.h"
#include "data/batch.h"
#include "data/example_rows.h"

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
  // uint8 [N, C, H, W] (pixels), float32 [N, ...] (values) or int64 [N, ...] (tokens) when resident; a store
  // holds its file's dtype, converted per batch.
  std::shared_ptr<const ExampleRows> inputs;
  torch::Tensor labels;  // int64 [N], on the device
  torch::Tensor mean, std;  // float32 [1, C, 1, 1] on the device (pixels only)
  AugmentOptions augment;
  int64_t num_classes = 0;
  int64_t max_label = -1;  // the largest label present (-1 when empty): checked against the model's classes

  int64_t size() const { return labels.size(0); }
  torch::Device device() const { return labels.device(); }
  // Examples at `indices` (int64 on the device); augmented when `train`, with the draws of `shard`'s
  // global batch (data parallel).
  Batch Gather(const torch::Tensor& indices, bool train, at::Generator& generator, const Shard& shard = {}) const;
  // A hint that the examples at `indices` are gathered next: a store starts reading them.
  void ReadAhead(const torch::Tensor& indices) const { inputs->ReadAhead(indices); }
};

}  // namespace pof
