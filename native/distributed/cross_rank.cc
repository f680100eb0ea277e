#include "distributed/cross_rank.h"
#include <string>
#include "errors.h"

namespace pof {

void CrossRank::InBuckets(const std::vector<torch::Tensor>& tensors,
                          const std::function<void(const torch::Tensor& flat)>& collective) const {
  if (!communicator_) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> given;  // an unused parameter has no gradient: nothing to send for it
  for (const auto& t : tensors) {
    if (t.defined()) given.push_back(t);
  }
  for (size_t begin = 0, end = 0; begin < given.size(); begin = end) {
    // A bucket: consecutive tensors of one dtype and device, up to kBucketBytes (at least one tensor).
    int64_t bytes = 0;
    auto joins = [&](size_t k) {
      return given[k].options().dtype() == given[begin].options().dtype() && given[k].device() == given[begin].device() &&
             bytes + static_cast<int64_t>(given[k].nbytes()) <= kBucketBytes;
    };
    std::vector<torch::Tensor> parts;
    do {
      bytes += static_cast<int64_t>(given[end].nbytes());
      parts.push_back(given[end].reshape(-1));
      ++end;
    } while (end < given.size() && joins(end));
    // cat copies into one new contiguous tensor: c10d wants dense contiguous ones, and channels-last weights are not.
    auto flat = torch::cat(parts);
    collective(flat);
    int64_t offset = 0;
    for (size_t k = begin; k < end; ++k) {
      const int64_t n = given[k].numel();
      given[k].copy_(flat.slice(0, offset, offset + n).view_as(given[k]));
      offset += n;
    }
  }
}

void CrossRank::Sum(const std::vector<torch::Tensor>& tensors) const {
  InBuckets(tensors, [&](const torch::Tensor& flat) { communicator_->AllReduce({flat}, ReduceOp::kSum); });
}

void CrossRank::Average(const std::vector<torch::Tensor>& tensors) const {
  InBuckets(tensors, [&](const torch::Tensor& flat) {
    communicator_->AllReduce({flat}, ReduceOp::kSum);
    flat.div_(static_cast<double>(world_size()));
  });
}

void CrossRank::Broadcast(const std::vector<torch::Tensor>& tensors, int64_t root) const {
  InBuckets(tensors, [&](const torch::Tensor& flat) { communicator_->Broadcast({flat}, root); });
}

torch::Tensor CrossRank::Mean(const torch::Tensor& values, int64_t dim) const {
  if (!communicator_) return values.mean(dim);
  auto sum = values.sum(dim);
  Sum({sum});
  return sum.div_(static_cast<double>(values.size(dim) * world_size()));
}

bool CrossRank::Any(bool mine) const {
  if (!communicator_) return mine;
  auto flag = torch::full({1}, mine ? 1 : 0, torch::kInt32);  // on the CPU: no device synchronisation
  communicator_->AllReduce({flag}, ReduceOp::kMax);
  return flag.item<int32_t>() != 0;
}

void CrossRank::CheckSame(const std::vector<std::pair<const char*, int64_t>>& values) const {
  if (!communicator_) return;
  auto low = torch::empty({static_cast<int64_t>(values.size())}, torch::kLong);
  for (size_t i = 0; i < values.size(); ++i) low[i].fill_(values[i].second);
  auto high = low.clone();
  communicator_->AllReduce({low}, ReduceOp::kMin);
  communicator_->AllReduce({high}, ReduceOp::kMax);
  for (size_t i = 0; i < values.size(); ++i) {
    const int64_t a = low[i].item<int64_t>(), b = high[i].item<int64_t>();
    if (a != b) {
      throw UserError(std::string("the ranks of the job disagree on ") + values[i].first + ": from " + std::to_string(a) +
                      " to " + std::to_string(b) + " (rank " + std::to_string(rank()) + " has " +
                      std::to_string(values[i].second) + "); every rank must run the same job on the same data");
    }
  }
}

}  // namespace pof
