#include "models/data_fit.h"
#include "device.h"
#include "errors.h"
#include "tensor.h"

namespace pof {

std::string DataMismatch(const Network& network, InputKind kind, c10::IntArrayRef example_shape, int64_t max_label) {
  // Token ids go in as int64 and everything else as float32: the model must take that dtype's kind.
  const c10::ScalarType takes = network.InputDtype();
  const bool tokens = kind == InputKind::kTokens;
  if (tokens ? takes != torch::kLong : !c10::isFloatingType(takes)) {
    const std::string holds = tokens ? "token ids (int64)" : InputKindName(kind) + " (float32)";
    const std::string hint = takes == torch::kLong ? " (token ids); declare kind 'tokens' for ids"
                             : tokens              ? "; declare kind 'values' (or 'pixels') for numbers"
                                                   : "";
    return "holds " + holds + ", but the model " + network.Description() + " takes " + DtypeName(takes) + " inputs" + hint;
  }
  if (auto input = network.CheckInput(example_shape)) {
    return "has examples of shape " + input->example + ", but the model " + network.Description() + " takes " + input->takes;
  }
  const int64_t classes = network.num_classes();
  if (max_label >= classes) {
    return "has labels up to " + std::to_string(max_label) + ", but the model " + network.Description() + " has " +
           std::to_string(classes) + " classes (labels 0.." + std::to_string(classes - 1) + ")";
  }
  return "";
}

void CheckDataFits(const DeviceDataset& data, const ModelHandle& handle, const std::string& what) {
  const auto& model = handle.Get();
  if (data.device() != handle.device) {
    throw UserError(what + " is on " + DeviceName(data.device()) + " but the model on " + DeviceName(handle.device) +
                        "; create the dataset on the model's device",
                    ErrorKind::kDevice);
  }
  if (data.size() == 0) throw UserError(what + " has no examples; expected at least one", ErrorKind::kDataset);
  // Cropped pixels reach the model at the crop's side.
  auto example = data.inputs->example_shape();
  if (data.kind == InputKind::kPixels && data.augment.CropSide() > 0) example[1] = example[2] = data.augment.CropSide();
  const std::string mismatch = DataMismatch(model, data.kind, example, data.max_label);
  if (!mismatch.empty()) throw UserError(what + " " + mismatch, ErrorKind::kDataset);
}

}  // namespace pof
