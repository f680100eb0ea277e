// What the values of a split's inputs must be, one rule for both homes of a split: a resident one is checked
// whole when it is made (ResidentInputs), a stored one a batch at a time on the host as it is read (StoredRows).
#pragma once
#include <torch/torch.h>
#include <optional>

namespace pof {

enum class ValueRule { kAny, kFinite, kNonNegative };

// Where the first value breaking `rule` lies in `rows` [N, ...] (row-major): its example and its position within
// the example. One reduction when nothing breaks it; the mask is made only to locate a breach.
struct Breach {
  int64_t example;
  int64_t position;
};
std::optional<Breach> FirstBreach(const torch::Tensor& rows, ValueRule rule);

}  // namespace pof
