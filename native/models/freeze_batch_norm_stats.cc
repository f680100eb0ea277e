#include "models/freeze_batch_norm_stats.h"

namespace pof {

FreezeBatchNormStats::FreezeBatchNormStats(const Network& network, BufferSnapshot& snapshot) : snapshot_(snapshot) {
  torch::NoGradGuard no_grad;
  auto& s = snapshot_;
  s.buffers.clear();
  for (auto& [name, buffer] : network.NamedBuffers()) s.buffers.push_back(buffer);
  s.saved.resize(s.buffers.size());
  for (size_t i = 0; i < s.buffers.size(); ++i) {
    const auto& b = s.buffers[i];
    auto& kept = s.saved[i];
    // A new tensor only when the network's buffers changed (first use, another device or shape).
    if (!kept.defined() || !kept.sizes().equals(b.sizes()) || kept.scalar_type() != b.scalar_type() ||
        kept.device() != b.device()) {
      kept = torch::empty_like(b);
    }
    kept.copy_(b);
  }
}

FreezeBatchNormStats::~FreezeBatchNormStats() {
  torch::NoGradGuard no_grad;
  try {
    for (size_t i = 0; i < snapshot_.buffers.size(); ++i) snapshot_.buffers[i].copy_(snapshot_.saved[i]);
  } catch (...) {
    // A same-shape copy on one device fails only when the device itself has failed; the next
    // operation reports that, and a destructor must not throw.
  }
}

}  // namespace pof
