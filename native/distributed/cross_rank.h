// What training needs from the other ranks of a data-parallel job: sums and means over the global
// batch, averaged gradients, one agreed flag. Default-constructed it is a single process, and every
// call computes exactly what the single-process code always did (same operations, same bits).
#pragma once
#include <torch/torch.h>
#include <functional>
#include <memory>
#include <utility>
#include <vector>
#include "distributed/communicator.h"

namespace pof {

class CrossRank {
 public:
  CrossRank() = default;
  explicit CrossRank(std::shared_ptr<Communicator> communicator) : communicator_(std::move(communicator)) {}

  bool distributed() const { return communicator_ != nullptr; }
  int64_t rank() const { return communicator_ ? communicator_->rank() : 0; }
  int64_t world_size() const { return communicator_ ? communicator_->world_size() : 1; }
  Communicator& communicator() const { return *communicator_; }

  // In place: each tensor becomes its sum (Average: mean) over the ranks; undefined tensors (the gradient
  // of an unused parameter) are passed over. Tensors travel flattened in buckets of about 25 MB, one
  // all-reduce per bucket.
  void Sum(const std::vector<torch::Tensor>& tensors) const;
  void Average(const std::vector<torch::Tensor>& tensors) const;
  // In place: every rank gets `root`'s values.
  void Broadcast(const std::vector<torch::Tensor>& tensors, int64_t root) const;
  // The mean along `dim` of values whose rows are this rank's shard of a global batch (equal shards).
  torch::Tensor Mean(const torch::Tensor& values, int64_t dim) const;
  // Whether any rank says yes (the ranks agree on stopping an epoch at the same step).
  bool Any(bool mine) const;
  // A UserError unless every rank has the same values (data sizes, batch sizes: a job whose ranks
  // disagree would otherwise hang in a collective or train on mismatched shards).
  void CheckSame(const std::vector<std::pair<const char*, int64_t>>& values) const;

  static constexpr int64_t kBucketBytes = 25 << 20;

 private:
  // Runs `collective` on each bucket's flat copy, then copies the results back into the tensors.
  void InBuckets(const std::vector<torch::Tensor>& tensors, const std::function<void(const torch::Tensor& flat)>& collective) const;
  std::shared_ptr<Communicator> communicator_;
};

}  // namespace pof
