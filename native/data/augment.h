// The paper's augmentation on a device-resident uint8 batch: random crop with zero padding,
// horizontal flip, then (after normalisation) cutout. All randomness comes from one generator.
#pragma once
#include <torch/torch.h>

namespace pof {

// torchvision's RandomResizedCrop (data/resized_crop.h), with its defaults: scale (0.08, 1), ratio (3/4, 4/3).
struct ResizedCrop {
  int64_t size = 0;  // side of the output (0: none)
  double scale_lo = 0.08, scale_hi = 1.0;
  double ratio_lo = 3.0 / 4.0, ratio_hi = 4.0 / 3.0;
};

struct AugmentOptions {
  int64_t crop_padding = 0;  // pixels of zero padding before a random crop of the original size
  bool flip = false;         // mirror horizontally with probability 1/2
  int64_t cutout = 0;        // side of the square window zeroed after normalisation
  ResizedCrop resized_crop;  // training: a random resized crop instead of the padded crop (then flip, cutout)
  int64_t center_crop = 0;   // the centre crop of this side, for evaluation and for training without a resized crop
                             // (0: resized_crop.size for evaluation; both 0: none)

  // The side of every batch's images when cropped (training and evaluation alike), 0 when not cropped.
  int64_t CropSide() const { return center_crop > 0 ? center_crop : resized_crop.size; }
};

// Data parallel: the images are shard `index` of `count` equal shards of a global batch. The random
// draws are the global batch's, and each shard takes its own rows of them: every rank's generator makes
// the same draws, and together the ranks augment exactly as one process would on the whole batch.
struct Shard {
  int64_t index = 0, count = 1;
};

// [batch, rest...]: the shard's rows of one draw made for the global batch (batch * shard.count rows).
torch::Tensor ShardRows(const torch::Tensor& global, const Shard& shard, int64_t batch);

// Crop and flip in one gather, on uint8 pixels [B, C, H, W].
torch::Tensor CropAndFlip(const torch::Tensor& images, int64_t padding, bool flip, at::Generator& generator,
                          const Shard& shard = {});

// Zeroes one size x size window per image, its centre uniform over the image, clipped at borders.
torch::Tensor Cutout(const torch::Tensor& images, int64_t size, at::Generator& generator, const Shard& shard = {});

}  // namespace pof
