#include "data/normalise.h"
#include <ATen/Parallel.h>

namespace pof {

namespace {

torch::Tensor NormaliseByOps(const torch::Tensor& images, const torch::Tensor& mean, const torch::Tensor& std) {
  return (images.to(torch::kFloat32).div_(255.0) - mean).div_(std);
}

}  // namespace

torch::Tensor Normalise(const torch::Tensor& images, const torch::Tensor& mean, const torch::Tensor& std) {
  if (!images.is_cpu() || images.scalar_type() != torch::kByte || images.dim() != 4) return NormaliseByOps(images, mean, std);
  const int64_t channels = images.size(1), plane = images.size(2) * images.size(3), planes = images.size(0) * channels;
  // Row c of the table: every byte value of channel c, normalised by the ops above (mean and std broadcast per channel).
  const auto values = torch::arange(256, torch::kFloat32).view({1, 1, 1, 256}).repeat({1, channels, 1, 1});
  const auto table = NormaliseByOps(values, mean.expand({1, channels, 1, 1}), std.expand({1, channels, 1, 1})).contiguous();
  const auto in = images.contiguous();
  auto out = torch::empty(in.sizes(), torch::kFloat32);
  const uint8_t* src = in.data_ptr<uint8_t>();
  const float* rows = table.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float* row = rows + (p % channels) * 256;
      const uint8_t* s = src + p * plane;
      float* d = dst + p * plane;
      for (int64_t i = 0; i < plane; ++i) d[i] = row[s[i]];
    }
  });
  return out;
}

}  // namespace pof
