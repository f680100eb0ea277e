#include "data/value_rule.h"

namespace pof {

std::optional<Breach> FirstBreach(const torch::Tensor& rows, ValueRule rule) {
  if (rule == ValueRule::kAny || rows.numel() == 0) return std::nullopt;
  const auto flat = rows.reshape({rows.size(0), -1});
  const bool ids = rule == ValueRule::kNonNegative;
  const bool kept = ids ? flat.min().item<int64_t>() >= 0 : torch::isfinite(flat).all().item<bool>();
  if (kept) return std::nullopt;
  const auto broken = ids ? flat.lt(0) : torch::isfinite(flat).logical_not();
  const int64_t at = broken.flatten().nonzero()[0][0].item<int64_t>();
  return Breach{at / flat.size(1), at % flat.size(1)};
}

}  // namespace pof
