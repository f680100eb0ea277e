// Where a split's inputs live, behind one seam: resident on the training device (one tensor), or in a file
// on disk read a batch at a time (StoredRows). The training loop, PoF's two draws, the analyses and the
// data-parallel shards gather through it and do not know which.
#pragma once
#include <torch/torch.h>
#include <vector>

namespace pof {

class ExampleRows {
 public:
  virtual ~ExampleRows() = default;
  virtual int64_t size() const = 0;
  // One example's shape, e.g. [C, H, W].
  virtual std::vector<int64_t> example_shape() const = 0;
  // The examples at `indices` (int64, on the device or the host) in their stored dtype, on `device`.
  virtual torch::Tensor Take(const torch::Tensor& indices, const torch::Device& device) const = 0;
  // A hint that the examples at `indices` are wanted soon: a store starts reading them on its worker thread.
  virtual void ReadAhead(const torch::Tensor& /*indices*/) const {}
  // Whether Take wants host indices: the training loop then copies an epoch's order to the host once,
  // instead of Take syncing at every batch.
  virtual bool reads_on_host() const { return false; }
  // Bytes held in memory (reported to V8; a store holds none beyond its batches).
  virtual int64_t resident_bytes() const = 0;
};

// The whole split as one tensor on the device: a gather per batch.
class ResidentRows final : public ExampleRows {
 public:
  explicit ResidentRows(torch::Tensor inputs) : inputs_(std::move(inputs)) {}
  int64_t size() const override { return inputs_.size(0); }
  std::vector<int64_t> example_shape() const override { return inputs_.sizes().slice(1).vec(); }
  torch::Tensor Take(const torch::Tensor& indices, const torch::Device& device) const override {
    return inputs_.index_select(0, indices.to(device));
  }
  int64_t resident_bytes() const override { return static_cast<int64_t>(inputs_.nbytes()); }
  const torch::Tensor& tensor() const { return inputs_; }

 private:
  torch::Tensor inputs_;
};

}  // namespace pof
