#include "data/resized_crop_wrap.h"
#include <string>
#include <vector>
#include "data/resized_crop.h"
#include "errors.h"
#include "js_args.h"
#include "random.h"
#include "register.h"
#include "tensor.h"

namespace pof {

void ReadCrops(const Napi::Object& o, AugmentOptions& a) {
  a.center_crop = IntField(o, "centerCrop", 0);
  if (!o.Has("resizedCrop") || o.Get("resizedCrop").IsUndefined()) return;
  auto v = NumberArrayField(o, "resizedCrop");
  if (v.size() != 5 || v[0] != static_cast<double>(static_cast<int64_t>(v[0]))) {
    throw UserError("resizedCrop must be [size, scaleLo, scaleHi, ratioLo, ratioHi] with an integer size");
  }
  a.resized_crop = {static_cast<int64_t>(v[0]), v[1], v[2], v[3], v[4]};
}

namespace {

// Uint8 pixels [B, C, H, W] from a Tensor argument.
torch::Tensor PixelsArg(const Napi::Value& value) {
  auto images = TensorWrap::FromJs(value, "images");
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 4) {
    throw UserError("images must be a uint8 Tensor [B, C, H, W], got " + DtypeName(images.scalar_type()) + " " + c10::str(images.sizes()));
  }
  return images;
}

Napi::Value ResizedCropJs(const Napi::CallbackInfo& info) {
  auto images = PixelsArg(info[0]);
  auto o = ObjectArg(info, 1, "resized crop options");
  AugmentOptions a;
  ReadCrops(o, a);
  if (a.resized_crop.size == 0) throw UserError("resizedCrop is required");
  CheckCrops(a, images.size(2), images.size(3));
  const Shard shard{IntField(o, "shardIndex", 0), IntField(o, "shardCount", 1)};
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
    throw UserError("shardIndex must lie in 0..shardCount-1 with shardCount >= 1");
  }
  auto generator = MakeGenerator(images.device(), static_cast<uint64_t>(IntField(o, "seed")));
  auto boxes = ResizedCropBoxes(images.size(0), images.size(2), images.size(3), a.resized_crop, generator, shard);
  auto out = ResizedCropWithBoxes(images, boxes, a.resized_crop.size);
  if (BoolField(o, "flip", false)) out = FlipHalf(out, generator, shard);
  auto result = Napi::Object::New(info.Env());
  result.Set("images", TensorWrap::New(info.Env(), out));
  result.Set("boxes", TensorWrap::New(info.Env(), boxes));
  return result;
}

Napi::Value CenterCropJs(const Napi::CallbackInfo& info) {
  auto images = PixelsArg(info[0]);
  AugmentOptions a;
  a.center_crop = IntArg(info, 1, "size");
  if (a.center_crop < 1) throw UserError("centerCrop size must be >= 1, got " + std::to_string(a.center_crop));
  CheckCrops(a, images.size(2), images.size(3));
  return TensorWrap::New(info.Env(), CenterCrop(images, a.center_crop));
}

}  // namespace

void InitResizedCrop(Napi::Env env, Napi::Object exports) {
  ExportFunction<ResizedCropJs>(env, exports, "resizedCrop");
  ExportFunction<CenterCropJs>(env, exports, "centerCrop");
}

}  // namespace pof
