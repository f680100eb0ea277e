#include "data/dataset.h"
#include "data/normalise.h"
#include "data/resized_crop.h"
#include "errors.h"

namespace pof {

InputKind ParseInputKind(const std::string& name) {
  if (name == "pixels") return InputKind::kPixels;
  if (name == "values") return InputKind::kValues;
  if (name == "tokens") return InputKind::kTokens;
  throw UserError("dataset kind must be 'pixels', 'values' or 'tokens', got '" + name + "'");
}

std::string InputKindName(InputKind kind) {
  switch (kind) {
    case InputKind::kPixels: return "pixels";
    case InputKind::kValues: return "values";
    default: return "tokens";
  }
}

c10::ScalarType BatchDtype(InputKind kind) { return kind == InputKind::kTokens ? torch::kLong : torch::kFloat32; }

Batch DeviceDataset::Gather(const torch::Tensor& indices, bool train, at::Generator& generator, const Shard& shard) const {
  Batch batch;
  batch.labels = labels.index_select(0, indices.to(device()));
  auto x = inputs->Take(indices, device());
  if (kind != InputKind::kPixels) {
    batch.inputs = x.to(BatchDtype(kind));  // values and token ids reach the model as they are
    return batch;
  }
  if (train && x.dim() == 4 && augment.resized_crop.size > 0) {
    x = RandomResizedCrop(x, augment.resized_crop, augment.flip, generator, shard);  // 0..255 (uint8 on the CPU)
  } else {
    if (train && x.dim() == 4 && (augment.crop_padding > 0 || augment.flip)) {
      x = CropAndFlip(x, augment.crop_padding, augment.flip, generator, shard);
    }
    // Evaluation of a set with a resized crop, or any batch of a set with a centre crop: the model's input size.
    if (x.dim() == 4 && augment.CropSide() > 0) x = CenterCrop(x, augment.CropSide());
  }
  auto normalised = Normalise(x, mean, std);
  if (train && x.dim() == 4 && augment.cutout > 0) normalised = Cutout(normalised, augment.cutout, generator, shard);
  batch.inputs = normalised;
  return batch;
}

}  // namespace pof
