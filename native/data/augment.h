// The paper's augmentation on a device-resident uint8 batch: random crop with zero padding,
// horizontal flip, then (after normalisation) cutout. All randomness comes from one generator.
#pragma once
#include <torch/torch.h>

namespace pof {

struct AugmentOptions {
  int64_t crop_padding = 0;  // pixels of zero padding before a random crop of the original size
  bool flip = false;         // mirror horizontally with probability 1/2
  int64_t cutout = 0;        // side of the square window zeroed after normalisation
};

// Data parallel: the images are shard `index` of `count` equal shards of a global batch. The random
// draws are the global batch's, and each shard takes its own rows of them: every rank's generator makes
// the same draws, and together the ranks augment exactly as one process would on the whole batch.
struct Shard {
  int64_t index = 0, count = 1;
};

// Crop and flip in one gather, on uint8 pixels [B, C, H, W].
torch::Tensor CropAndFlip(const torch::Tensor& images, int64_t padding, bool flip, at::Generator& generator,
                          const Shard& shard = {});

// Zeroes one size x size window per image, its centre uniform over the image, clipped at borders.
torch::Tensor Cutout(const torch::Tensor& images, int64_t size, at::Generator& generator, const Shard& shard = {});

}  // namespace pof
