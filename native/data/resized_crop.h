// ImageNet-style augmentation for large images, on a device-resident uint8 batch: torchvision's
// RandomResizedCrop (a random box of random area and aspect ratio, resized with antialiased bilinear
// interpolation) for training, and the centre crop for evaluation.
#pragma once
#include <torch/torch.h>
#include <cstdint>
#include "data/augment.h"

namespace pof {

// One box per image of the shard, int64 [B, 4] (top, left, height, width) on the CPU, drawn as torchvision's
// RandomResizedCrop.get_params does (up to 10 attempts, then the centre crop at the clamped ratio); all
// draws are the global batch's (see Shard) and come from `generator`.
torch::Tensor ResizedCropBoxes(int64_t batch, int64_t height, int64_t width, const ResizedCrop& o, at::Generator& generator,
                               const Shard& shard = {});

// Each image's box resized to size x size (bilinear, antialiased, align_corners false: torchvision's
// F.resized_crop(..., antialias=True)). On the CPU uint8 [B, C, size, size]: LibTorch's vectorised uint8 path in
// channels-last, 4 to 9 times its float one here, rounding to whole grey levels (within one level of the float
// result, as PIL's); on CUDA, whose kernel takes floats, float32 on the 0..255 scale.
torch::Tensor ResizedCropWithBoxes(const torch::Tensor& images, const torch::Tensor& boxes, int64_t size);

// Mirrors each image horizontally with probability 1/2 (one draw per image of the global batch).
torch::Tensor FlipHalf(const torch::Tensor& images, at::Generator& generator, const Shard& shard = {});

// Boxes drawn, cropped and resized, then flipped when `flip`.
torch::Tensor RandomResizedCrop(const torch::Tensor& images, const ResizedCrop& o, bool flip, at::Generator& generator,
                                const Shard& shard = {});

// The crops fit images of height x width: sizes 1..min(height, width), 0 < scale lo <= hi <= 1,
// 0 < ratio lo <= hi, one crop side for training and evaluation, no padded crop or larger cutout beside
// a resized crop (a UserError naming the option otherwise).
void CheckCrops(const AugmentOptions& a, int64_t height, int64_t width);

// The centre size x size window of each image [B, C, H, W] (torchvision's CenterCrop; size <= H, W).
torch::Tensor CenterCrop(const torch::Tensor& images, int64_t size);

}  // namespace pof
