// The resized and centre crops' options as the native Dataset reads them, and a test hook that exposes
// the drawn boxes (to compare with torchvision on the same boxes).
#pragma once
#include <napi.h>
#include "data/augment.h"

namespace pof {

// o.resizedCrop: [size, scaleLo, scaleHi, ratioLo, ratioHi] or absent (none); o.centerCrop: a side or absent (0).
void ReadCrops(const Napi::Object& o, AugmentOptions& a);

// exports.resizedCrop(images: Tensor uint8 [B, C, H, W], { resizedCrop, flip, seed, shardIndex, shardCount })
//   -> { images: Tensor float32 [B, C, size, size] (0..255), boxes: Tensor int64 [B, 4] (top, left, height, width) }
// exports.centerCrop(images: Tensor [B, C, H, W], size) -> Tensor
void InitResizedCrop(Napi::Env env, Napi::Object exports);

}  // namespace pof
