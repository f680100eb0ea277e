#include "data/augment.h"

namespace pof {

torch::Tensor ShardRows(const torch::Tensor& global, const Shard& shard, int64_t batch) {
  return shard.count == 1 ? global : global.narrow(0, shard.index * batch, batch);
}

torch::Tensor CropAndFlip(const torch::Tensor& images, int64_t padding, bool flip, at::Generator& generator,
                          const Shard& shard) {
  const int64_t batch = images.size(0), channels = images.size(1), height = images.size(2), width = images.size(3);
  const auto int_opts = torch::TensorOptions().dtype(torch::kLong).device(images.device());
  auto source = padding > 0 ? torch::constant_pad_nd(images, {padding, padding, padding, padding}, 0) : images;
  const int64_t padded_width = width + 2 * padding;
  const int64_t global = batch * shard.count;
  auto top = ShardRows(torch::randint(0, 2 * padding + 1, {global, 1}, generator, int_opts), shard, batch);
  auto left = ShardRows(torch::randint(0, 2 * padding + 1, {global, 1}, generator, int_opts), shard, batch);
  auto rows = top + torch::arange(height, int_opts).view({1, height});   // [B, H]
  auto cols = torch::arange(width, int_opts).view({1, width}).expand({batch, width});
  if (flip) {
    auto mirrored = ShardRows(torch::rand({global, 1}, generator, images.options().dtype(torch::kFloat32)), shard, batch) < 0.5;
    cols = torch::where(mirrored, (width - 1) - cols, cols);
  }
  cols = left + cols;                                                    // [B, W]
  auto flat = (rows.unsqueeze(2) * padded_width + cols.unsqueeze(1)).view({batch, 1, height * width});
  return source.flatten(2).gather(2, flat.expand({batch, channels, height * width})).view({batch, channels, height, width});
}

torch::Tensor Cutout(const torch::Tensor& images, int64_t size, at::Generator& generator, const Shard& shard) {
  const int64_t batch = images.size(0), height = images.size(2), width = images.size(3);
  const auto int_opts = torch::TensorOptions().dtype(torch::kLong).device(images.device());
  const int64_t global = batch * shard.count;
  auto cy = ShardRows(torch::randint(0, height, {global, 1, 1}, generator, int_opts), shard, batch);
  auto cx = ShardRows(torch::randint(0, width, {global, 1, 1}, generator, int_opts), shard, batch);
  auto ys = torch::arange(height, int_opts).view({1, height, 1});
  auto xs = torch::arange(width, int_opts).view({1, 1, width});
  const int64_t half = size / 2;
  auto inside = (ys >= cy - half) & (ys < cy + size - half) & (xs >= cx - half) & (xs < cx + size - half);
  return images * inside.logical_not().unsqueeze(1).to(images.dtype());
}

}  // namespace pof
