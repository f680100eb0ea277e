#include "models/freeze_batch_norm_stats.h"

namespace pof {

FreezeBatchNormStats::FreezeBatchNormStats(const Network& network) {
  torch::NoGradGuard no_grad;
  for (auto& [name, buffer] : network.NamedBuffers()) {
    buffers_.push_back(buffer);
    saved_.push_back(buffer.clone());
  }
}

FreezeBatchNormStats::~FreezeBatchNormStats() {
  torch::NoGradGuard no_grad;
  try {
    for (size_t i = 0; i < buffers_.size(); ++i) buffers_[i].copy_(saved_[i]);
  } catch (...) {
    // A same-shape copy on one device fails only when the device itself has failed; the next
    // operation reports that, and a destructor must not throw.
  }
}

}  // namespace pof
