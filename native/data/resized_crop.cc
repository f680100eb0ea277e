#include "data/resized_crop.h"
#include "errors.h"
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace pof {

namespace {

constexpr int64_t kAttempts = 10;  // torchvision's get_params tries 10 boxes before its fallback

// The fallback of get_params: the whole image, or its centre at the nearest allowed ratio.
// Python's round() rounds halves to even, as std::nearbyint does in the default rounding mode.
std::vector<int64_t> FallbackBox(int64_t height, int64_t width, const ResizedCrop& o) {
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  int64_t h = height, w = width;
  if (in_ratio < o.ratio_lo) h = static_cast<int64_t>(std::nearbyint(w / o.ratio_lo));
  if (in_ratio > o.ratio_hi) w = static_cast<int64_t>(std::nearbyint(h * o.ratio_hi));
  return {(height - h) / 2, (width - w) / 2, h, w};
}

}  // namespace

torch::Tensor ResizedCropBoxes(int64_t batch, int64_t height, int64_t width, const ResizedCrop& o, at::Generator& generator,
                               const Shard& shard) {
  // All attempts of the whole global batch in one draw each, on the generator's device, in float64 as
  // get_params computes; only the chosen boxes come to the host (the one sync of the batch).
  const int64_t global = batch * shard.count;
  const auto device = generator.device();
  const auto real = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  auto area = torch::rand({global, kAttempts}, generator, real).mul_(o.scale_hi - o.scale_lo).add_(o.scale_lo).mul_(height * width);
  const double log_lo = std::log(o.ratio_lo), log_hi = std::log(o.ratio_hi);
  auto ratio = torch::rand({global, kAttempts}, generator, real).mul_(log_hi - log_lo).add_(log_lo).exp_();
  auto w = (area * ratio).sqrt_().round_();
  auto h = (area / ratio).sqrt_().round_();
  auto fits = (w > 0) & (w <= width) & (h > 0) & (h <= height);
  auto first = fits.to(torch::kInt8).argmax(1, /*keepdim=*/true);  // the first attempt that fits
  auto found = fits.any(1);
  auto fallback = FallbackBox(height, width, o);
  h = torch::where(found, h.gather(1, first).squeeze(1), static_cast<double>(fallback[2]));
  w = torch::where(found, w.gather(1, first).squeeze(1), static_cast<double>(fallback[3]));
  // top, left uniform over the positions where the box fits (torch.randint(0, n + 1) in get_params).
  auto uniform_below = [&](const torch::Tensor& n) {
    return torch::minimum(torch::rand({global}, generator, real).mul_(n).floor_(), n - 1);
  };
  auto top = torch::where(found, uniform_below(height - h + 1), static_cast<double>(fallback[0]));
  auto left = torch::where(found, uniform_below(width - w + 1), static_cast<double>(fallback[1]));
  auto boxes = torch::stack({top, left, h, w}, 1).to(torch::kLong);
  return ShardRows(boxes, shard, batch).to(torch::kCPU);
}

torch::Tensor ResizedCropWithBoxes(const torch::Tensor& images, const torch::Tensor& boxes, int64_t size) {
  namespace F = torch::nn::functional;
  const auto resize = F::InterpolateFuncOptions()
                          .size(std::vector<int64_t>{size, size})
                          .mode(torch::kBilinear)
                          .align_corners(false)
                          .antialias(true);
  const bool bytes = !images.is_cuda();
  auto box = boxes.accessor<int64_t, 2>();
  std::vector<torch::Tensor> out;
  out.reserve(images.size(0));
  for (int64_t b = 0; b < images.size(0); ++b) {
    auto crop = images[b].narrow(1, box[b][0], box[b][2]).narrow(2, box[b][1], box[b][3]).unsqueeze(0);
    out.push_back(bytes ? F::interpolate(crop.contiguous(at::MemoryFormat::ChannelsLast), resize)
                        : F::interpolate(crop.to(torch::kFloat32), resize));
  }
  return torch::cat(out, 0).contiguous();
}

torch::Tensor FlipHalf(const torch::Tensor& images, at::Generator& generator, const Shard& shard) {
  const int64_t batch = images.size(0);
  const auto real = torch::TensorOptions().dtype(torch::kFloat32).device(images.device());
  auto mirrored = ShardRows(torch::rand({batch * shard.count}, generator, real), shard, batch) < 0.5;
  return torch::where(mirrored.view({batch, 1, 1, 1}), images.flip(3), images);
}

torch::Tensor RandomResizedCrop(const torch::Tensor& images, const ResizedCrop& o, bool flip, at::Generator& generator,
                                const Shard& shard) {
  auto boxes = ResizedCropBoxes(images.size(0), images.size(2), images.size(3), o, generator, shard);
  auto out = ResizedCropWithBoxes(images, boxes, o.size);
  return flip ? FlipHalf(out, generator, shard) : out;
}

void CheckCrops(const AugmentOptions& a, int64_t height, int64_t width) {
  const auto& r = a.resized_crop;
  const int64_t side = std::min(height, width);
  const auto text = [](double v) { return c10::str(v); };
  if (r.size < 0 || r.size > side) {
    throw UserError("resizedCrop size must lie in 1.." + std::to_string(side) + " (the image's smaller side), got " + std::to_string(r.size));
  }
  if (a.center_crop < 0 || a.center_crop > side) {
    throw UserError("centerCrop must lie in 0.." + std::to_string(side) + " (the image's smaller side), got " + std::to_string(a.center_crop));
  }
  if (r.size > 0 && a.center_crop > 0 && r.size != a.center_crop) {
    throw UserError("centerCrop (" + std::to_string(a.center_crop) + ") must equal the resizedCrop size (" + std::to_string(r.size) +
                    "): training and evaluation batches reach the model at one size");
  }
  if (r.size == 0) return;
  if (!(r.scale_lo > 0 && r.scale_lo <= r.scale_hi && r.scale_hi <= 1)) {
    throw UserError("resizedCrop scale must be [lo, hi] with 0 < lo <= hi <= 1 (fractions of the image's area), got [" + text(r.scale_lo) +
                    ", " + text(r.scale_hi) + "]");
  }
  if (!(r.ratio_lo > 0 && r.ratio_lo <= r.ratio_hi && std::isfinite(r.ratio_hi))) {
    throw UserError("resizedCrop ratio must be [lo, hi] with 0 < lo <= hi (width / height), got [" + text(r.ratio_lo) + ", " +
                    text(r.ratio_hi) + "]");
  }
  if (a.crop_padding > 0) throw UserError("resizedCrop replaces the padded crop: leave cropPadding 0 beside it");
  if (a.cutout > r.size) {
    throw UserError("cutout must lie in 0.." + std::to_string(r.size) + " (the resized crop's side), got " + std::to_string(a.cutout));
  }
}

torch::Tensor CenterCrop(const torch::Tensor& images, int64_t size) {
  // torchvision: int(round((H - size) / 2.0)), Python's round (halves to even).
  const auto offset = [size](int64_t side) { return static_cast<int64_t>(std::nearbyint((side - size) / 2.0)); };
  return images.narrow(2, offset(images.size(2)), size).narrow(3, offset(images.size(3)), size);
}

}  // namespace pof
